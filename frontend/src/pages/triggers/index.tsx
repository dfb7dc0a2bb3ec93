import { Text } from "@mantine/core";
import { PageHeader } from "../../components/PageHeader";

export default function TriggersPage() {
  return (
    <>
      <PageHeader title="Triggers" description="Notifications when leads reach a milestone, a sequence, a pattern or a surge." />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
