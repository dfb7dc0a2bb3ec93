import { MultiSelect, Select, TextInput } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { CHANNELS, type Channel, type EventFilters } from "./eventFilters";

/** The filters the events API applies (list and export): type, lead, channel, start time. */
export function EventFilterFields({ filters, update }: { filters: EventFilters; update: (change: Partial<EventFilters>) => void }) {
  const eventTypes = useQuery({
    queryKey: ["/api/v1/events/types"],
    queryFn: () => unwrap(api.GET("/api/v1/events/types")),
  });
  return (
    <>
      <MultiSelect label="Event types" placeholder={filters.eventTypes.length ? undefined : "Any type"} data={eventTypes.data ?? []} value={filters.eventTypes} onChange={(types) => update({ eventTypes: types })} searchable clearable />
      <TextInput label="Lead ID" placeholder="Any lead" value={filters.leadId} onChange={(event) => update({ leadId: event.currentTarget.value })} />
      <Select label="Channel" placeholder="Any channel" data={[...CHANNELS]} value={filters.channel} onChange={(channel) => update({ channel: channel as Channel | null })} clearable />
      <TextInput type="datetime-local" label="From" value={filters.since} onChange={(event) => update({ since: event.currentTarget.value })} />
    </>
  );
}
