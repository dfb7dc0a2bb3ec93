import { Text } from "@mantine/core";
import { PageHeader } from "../../components/PageHeader";

export default function SegmentsPage() {
  return (
    <>
      <PageHeader title="Segments" description="Groups of leads by rules, kept up to date as events arrive." />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
