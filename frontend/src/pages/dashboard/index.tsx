import { Text } from "@mantine/core";
import { PageHeader } from "../../components/PageHeader";

export default function DashboardPage() {
  return (
    <>
      <PageHeader title="Dashboard" description="Who is hot right now, and what is happening live." />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
