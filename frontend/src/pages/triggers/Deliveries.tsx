import { Anchor, Badge, Code, Group, Select, Stack, Text, Tooltip } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import type { components, operations } from "../../api/schema";
import { DataTable, type Column } from "../../components/DataTable";
import { RelativeTime } from "../../components/Time";
import { unwrapWithTotal } from "../../components/withTotal";

type Delivery = components["schemas"]["DeliveryOutput"];
type DeliveryQuery = NonNullable<operations["triggers_deliveries_list"]["parameters"]["query"]>;
type Status = NonNullable<DeliveryQuery["status"]>;
type Channel = NonNullable<DeliveryQuery["channel"]>;

const PAGE_SIZE = 50;

const STATUS_COLOR: Record<string, string> = { delivered: "teal", pending: "blue", failed: "red", disabled: "gray" };

const COLUMNS: Column<Delivery>[] = [
  { key: "created_at", header: "Created", render: (delivery) => <RelativeTime value={delivery.created_at} /> },
  {
    key: "status",
    header: "Status",
    render: (delivery) => (
      <Badge color={STATUS_COLOR[delivery.status] ?? "gray"} variant="light" data-testid="delivery-status">
        {delivery.status}
      </Badge>
    ),
  },
  {
    key: "target",
    header: "Sent to",
    render: (delivery) => (
      <Stack gap={0}>
        <Text size="sm">{delivery.channel}</Text>
        <Text size="xs" c="dimmed" lineClamp={1} style={{ wordBreak: "break-all" }} title={delivery.target}>
          {delivery.target}
        </Text>
      </Stack>
    ),
  },
  {
    key: "lead_id",
    header: "Lead",
    render: (delivery) => (
      <Anchor component={Link} to={`/leads/${encodeURIComponent(delivery.lead_id)}`} size="sm">
        {delivery.lead_id}
      </Anchor>
    ),
  },
  { key: "attempts", header: "Attempts", align: "right", render: (delivery) => delivery.attempts },
  {
    key: "last_error",
    header: "Last error",
    render: (delivery) =>
      delivery.last_error ? (
        <Tooltip label={delivery.last_error} multiline w={360}>
          <Code style={{ display: "inline-block", maxWidth: 260, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
            {delivery.last_status_code ? `${delivery.last_status_code}: ` : ""}
            {delivery.last_error}
          </Code>
        </Tooltip>
      ) : (
        "—"
      ),
  },
  {
    key: "next_attempt_at",
    header: "Next attempt / delivered",
    render: (delivery) => <RelativeTime value={delivery.delivered_at ?? delivery.next_attempt_at} />,
  },
];

/** Deliveries of every trigger, or of one (`triggerId`), newest first with server-side pages. */
export function Deliveries({ triggerId }: { triggerId?: string }) {
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<Status | null>(null);
  const [channel, setChannel] = useState<Channel | null>(null);
  const query = { page, limit: PAGE_SIZE, ...(triggerId ? { trigger_id: triggerId } : {}), ...(status ? { status } : {}), ...(channel ? { channel } : {}) };
  const deliveries = useQuery({
    queryKey: ["/api/v1/triggers/deliveries", query],
    queryFn: () => unwrapWithTotal(api.GET("/api/v1/triggers/deliveries", { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  const filtered = Boolean(status || channel);
  return (
    <Stack gap="sm">
      <Group gap="sm">
        <Select
          label="Status"
          placeholder="Any status"
          clearable
          w={180}
          data={["pending", "delivered", "failed", "disabled"]}
          value={status}
          onChange={(value) => {
            setStatus(value as Status | null);
            setPage(1);
          }}
        />
        <Select
          label="Channel"
          placeholder="Any channel"
          clearable
          w={180}
          data={["webhook", "email", "slack", "teams"]}
          value={channel}
          onChange={(value) => {
            setChannel(value as Channel | null);
            setPage(1);
          }}
        />
      </Group>
      <DataTable
        caption="Deliveries"
        columns={COLUMNS}
        rows={deliveries.data?.rows}
        rowKey={(delivery) => delivery.id}
        isLoading={deliveries.isLoading}
        error={deliveries.error}
        onRetry={() => void deliveries.refetch()}
        page={page}
        pageSize={PAGE_SIZE}
        total={deliveries.data?.total}
        onPageChange={setPage}
        empty={{
          title: filtered ? "No delivery matches these filters" : "No deliveries yet",
          description: filtered
            ? "Clear a filter to see more."
            : "When a trigger with a destination (webhook, email, Slack, Teams) fires, each send and its retries show here.",
        }}
      />
    </Stack>
  );
}
