import { Text } from "@mantine/core";
import { PageHeader } from "../../components/PageHeader";

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" description="API credentials, members, webhooks, Slack, limits, usage and the audit log." />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
