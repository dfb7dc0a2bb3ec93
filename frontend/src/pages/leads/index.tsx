import { Text } from "@mantine/core";
import { PageHeader } from "../../components/PageHeader";

export default function LeadsPage() {
  return (
    <>
      <PageHeader title="Leads" description="Every lead with its score, level and last activity." />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
