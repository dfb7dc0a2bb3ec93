import { Text } from "@mantine/core";
import { PageHeader } from "../../components/PageHeader";

export default function DataPage() {
  return (
    <>
      <PageHeader title="Data" description="Events, CSV imports and exports." />
      <Text c="dimmed">Placeholder: this page is being built.</Text>
    </>
  );
}
