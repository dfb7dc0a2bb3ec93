import { Badge, Button, Code, Group, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import type { components } from "../../api/schema";
import { DataTable, type Column, type SortState } from "../../components/DataTable";
import { formatDateTime } from "../../components/time";
import { NO_AUDIT_FILTERS, hasNextPage, toAuditQuery, type AuditFilters, type Method, type StatusClass } from "./auditQuery";

type Entry = components["schemas"]["AuditLogEntryOutput"];

const statusColor = (status: number) => (status >= 500 ? "red" : status >= 400 ? "orange" : status >= 300 ? "blue" : "teal");

const COLUMNS: Column<Entry>[] = [
  { key: "created_at", header: "Time", sortKey: "created_at", render: (entry) => <time dateTime={entry.created_at}>{formatDateTime(entry.created_at)}</time> },
  { key: "user_email", header: "Who", sortKey: "user_email", render: (entry) => entry.user_email ?? (entry.client_id ? <Code>{entry.client_id}</Code> : "—") },
  { key: "method", header: "Method", sortKey: "method", render: (entry) => <Code>{entry.method}</Code> },
  { key: "path", header: "Path", sortKey: "path", render: (entry) => <Text size="sm" style={{ wordBreak: "break-all" }}>{entry.path}</Text> },
  { key: "status", header: "Status", sortKey: "status", render: (entry) => <Badge color={statusColor(entry.status)} variant="light">{entry.status}</Badge> },
  { key: "ip", header: "IP", sortKey: "ip", render: (entry) => entry.ip ?? "—" },
  { key: "latency_ms", header: "Latency", sortKey: "latency_ms", align: "right", render: (entry) => `${Math.round(entry.latency_ms)} ms` },
];

export function AuditLogSection() {
  const [filters, setFilters] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const [page, setPage] = useState(1);
  const [debounced] = useDebouncedValue(filters, 300);
  const query = toAuditQuery(debounced, page);
  const update = (change: Partial<AuditFilters>) => {
    setFilters((current) => ({ ...current, ...change }));
    setPage(1);
  };
  const entries = useQuery({
    queryKey: ["/api/v1/admin/audit-logs", query],
    queryFn: () => unwrap(api.GET("/api/v1/admin/audit-logs", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const items = entries.data?.items;
  const filtered = JSON.stringify(filters) !== JSON.stringify({ ...NO_AUDIT_FILTERS, sortBy: filters.sortBy, sortOrder: filters.sortOrder });
  const sort: SortState = { by: filters.sortBy, order: filters.sortOrder };

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Calls to the API in this organization: who, what, the answer and how long it took. Times in your time zone.
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <TextInput label="Search" placeholder="Path, request ID…" value={filters.search} onChange={(event) => update({ search: event.currentTarget.value })} />
        <TextInput label="Member email" placeholder="Anyone" value={filters.userEmail} onChange={(event) => update({ userEmail: event.currentTarget.value })} />
        <Select label="Method" placeholder="Any method" data={["GET", "POST", "PUT", "PATCH", "DELETE"]} value={filters.method} onChange={(method) => update({ method: method as Method | null })} clearable />
        <Select
          label="Status"
          data={[
            { value: "any", label: "Any status" },
            { value: "2xx", label: "2xx success" },
            { value: "3xx", label: "3xx redirect" },
            { value: "4xx", label: "4xx refused" },
            { value: "5xx", label: "5xx server error" },
            { value: "errors", label: "Any error (4xx, 5xx)" },
          ]}
          value={filters.statusClass}
          onChange={(statusClass) => update({ statusClass: (statusClass ?? "any") as StatusClass })}
          allowDeselect={false}
        />
      </SimpleGrid>
      <DataTable
        caption="Audit log"
        columns={COLUMNS}
        rows={items}
        rowKey={(entry) => String(entry.id)}
        isLoading={entries.isPending}
        error={entries.error}
        onRetry={() => void entries.refetch()}
        sort={sort}
        onSortChange={(next) => update({ sortBy: next.by as AuditFilters["sortBy"], sortOrder: next.order })}
        empty={
          filtered
            ? { title: "No entries match these filters", action: <Button variant="light" onClick={() => update(NO_AUDIT_FILTERS)}>Clear filters</Button> }
            : page > 1
              ? { title: "No more entries", action: <Button variant="light" onClick={() => setPage(1)}>Back to the newest</Button> }
              : { title: "Nothing audited yet", description: "Calls made in this app or through the API appear here as they happen." }
        }
      />
      {items && items.length > 0 && (
        <Group justify="flex-end" gap="sm">
          <Text size="sm" c="dimmed">
            Page {page}
          </Text>
          <Button variant="default" size="xs" onClick={() => setPage(page - 1)} disabled={page === 1}>
            Previous
          </Button>
          <Button variant="default" size="xs" onClick={() => setPage(page + 1)} disabled={!hasNextPage(items.length)}>
            Next
          </Button>
        </Group>
      )}
    </Stack>
  );
}
