import { Text } from "@mantine/core";
import { useParams } from "react-router";
import { PageHeader } from "../../components/PageHeader";

export default function LeadPage() {
  const { leadId = "" } = useParams();
  return (
    <>
      <PageHeader title={`Lead ${leadId}`} description="Scores, history, events and segments of one lead." />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
