import { Anchor, Button, Card, Group, Select, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { FormErrorAlert } from "../../components/formErrors";
import { datedFileName, saveFile } from "./download";
import { EventFilterFields } from "./EventFilterFields";
import { NO_FILTERS, toEventsQuery, type EventFilters } from "./eventFilters";

function EventsExport() {
  const [filters, setFilters] = useState<EventFilters>(NO_FILTERS);
  const download = useMutation({
    mutationFn: async () => {
      const blob = await unwrap(api.GET("/api/v1/events/export", { params: { query: toEventsQuery(filters) }, parseAs: "blob" }));
      saveFile(blob as Blob, datedFileName("events"));
    },
  });
  const update = (change: Partial<EventFilters>) => setFilters((current) => ({ ...current, ...change }));
  return (
    <Card withBorder padding="lg">
      <Stack gap="sm">
        <Title order={3}>Events (CSV)</Title>
        <Text size="sm" c="dimmed">
          Every event of this OU that matches, newest first, streamed as CSV.
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <EventFilterFields filters={filters} update={update} />
        </SimpleGrid>
        <FormErrorAlert error={download.error} />
        <Group>
          <Button onClick={() => download.mutate()} loading={download.isPending}>
            Download events CSV
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function SegmentMembersExport() {
  const segments = useQuery({
    queryKey: ["/api/v1/segments"],
    queryFn: () => unwrap(api.GET("/api/v1/segments")),
  });
  const [segmentId, setSegmentId] = useState<string | null>(null);
  const segment = segments.data?.find((item) => item.segment_id === segmentId);
  const download = useMutation({
    mutationFn: async (id: string) => {
      const blob = await unwrap(api.GET("/api/v1/segments/{segment_id}/leads/export", { params: { path: { segment_id: id } }, parseAs: "blob" }));
      saveFile(blob as Blob, datedFileName(`segment-${segment?.name.replace(/[^\w-]+/g, "-") ?? id}`));
    },
  });
  const noSegments = segments.data?.length === 0;
  return (
    <Card withBorder padding="lg">
      <Stack gap="sm">
        <Title order={3}>Leads of a segment (CSV)</Title>
        <Text size="sm" c="dimmed">
          The members of a segment with their scores, in score order. To export leads, build a segment of the ones you want on the{" "}
          <Anchor component={Link} to="/segments">
            Segments
          </Anchor>{" "}
          page.
        </Text>
        {segments.error ? (
          <FormErrorAlert error={segments.error} />
        ) : noSegments ? (
          <Text size="sm">No segments yet: create one on the Segments page, then export its members here.</Text>
        ) : (
          <Group align="flex-end">
            <Select
              label="Segment"
              placeholder={segments.isPending ? "Loading segments…" : "Choose a segment"}
              data={(segments.data ?? []).map((item) => ({ value: item.segment_id, label: `${item.name} (${item.lead_count.toLocaleString()} leads)` }))}
              value={segmentId}
              onChange={setSegmentId}
              searchable
              w={360}
            />
            <Button onClick={() => segmentId && download.mutate(segmentId)} disabled={!segmentId} loading={download.isPending}>
              Download members CSV
            </Button>
          </Group>
        )}
        <FormErrorAlert error={download.error} />
      </Stack>
    </Card>
  );
}

export function ExportTab() {
  return (
    <Stack gap="md" maw={900}>
      <EventsExport />
      <SegmentMembersExport />
    </Stack>
  );
}
