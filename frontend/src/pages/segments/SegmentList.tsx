import { Badge, Group, Loader, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import type { components } from "../../api/schema";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader } from "../../components/PageHeader";
import { RelativeTime } from "../../components/Time";
import { WriteButton } from "../../components/WriteButton";

type Segment = components["schemas"]["SegmentOutput"];

const COLUMNS: Column<Segment>[] = [
  {
    key: "name",
    header: "Segment",
    render: (segment) => (
      <div>
        <Text size="sm" fw={600}>
          {segment.name}
        </Text>
        {segment.description && (
          <Text size="xs" c="dimmed" lineClamp={1}>
            {segment.description}
          </Text>
        )}
      </div>
    ),
  },
  {
    key: "lead_count",
    header: "Leads",
    align: "right",
    render: (segment) => (
      <Group gap={6} justify="flex-end" wrap="nowrap">
        {segment.recomputing && <Loader size={12} aria-label="Recomputing" />}
        <Text size="sm">{segment.lead_count.toLocaleString()}</Text>
      </Group>
    ),
  },
  {
    key: "active",
    header: "Status",
    render: (segment) => (
      <Badge variant="light" color={segment.active ? "teal" : "gray"}>
        {segment.active ? (segment.recomputing ? "Recomputing" : "Active") : "Inactive"}
      </Badge>
    ),
  },
  { key: "updated_at", header: "Updated", render: (segment) => <RelativeTime value={segment.updated_at} /> },
];

export function SegmentList() {
  const navigate = useNavigate();
  const segments = useQuery({ queryKey: ["/api/v1/segments"], queryFn: () => unwrap(api.GET("/api/v1/segments")) });
  const create = (
    <WriteButton onClick={() => void navigate("/segments/new")}>
      New segment
    </WriteButton>
  );
  return (
    <>
      <PageHeader title="Segments" description="Groups of leads by rules, kept up to date as events arrive." actions={create} />
      <DataTable
        caption="Segments"
        columns={COLUMNS}
        rows={segments.data}
        rowKey={(segment) => segment.segment_id}
        isLoading={segments.isLoading}
        error={segments.error}
        onRetry={() => void segments.refetch()}
        onRowClick={(segment) => void navigate(`/segments/${segment.segment_id}`)}
        empty={{
          title: "No segments yet",
          description: "A segment is a live list of leads by rules, e.g. hot leads from Germany that visited pricing. Build one and watch who is in it.",
          action: create,
        }}
      />
    </>
  );
}
