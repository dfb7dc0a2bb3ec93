import { Text } from "@mantine/core";
import { PageHeader } from "../../components/PageHeader";
import { WriteButton } from "../../components/WriteButton";

export default function ScoringPage() {
  return (
    <>
      <PageHeader
        title="Scoring"
        description="Rulesets, rules, decay, filters, surge policy, levels and event types."
        actions={<WriteButton>New ruleset</WriteButton>}
      />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
