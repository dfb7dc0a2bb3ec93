/**
 * The leads list: one server-side page at a time (`GET /leads`), filters in the URL, the
 * previous page kept on screen while the next loads. A search of 2+ characters asks
 * `GET /leads/search` (id prefix or alias, up to 10) since the list has no text filter.
 * Scores change in place on `score_update` before the list refetches.
 */
import { Anchor, Button, Code, Group, NumberInput, Select, Stack, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, type paths } from "../../api/client";
import { unwrap } from "../../api/errors";
import { DataTable, type Column } from "../../components/DataTable";
import { useLiveEvent } from "../../components/LiveEvents";
import { PageHeader } from "../../components/PageHeader";
import { RelativeTime } from "../../components/Time";
import { leadDisplayName } from "./display";
import { LevelBadge, useEngagementLevels } from "./levels";
import { apiQueryFromState, LAST_ACTIVE, levelOf, PAGE_SIZE, SEARCH_MIN_LENGTH, searchParamsFromState, stateFromSearchParams, type LeadListState, type LeadSort } from "./listParams";

type LeadList = paths["/api/v1/leads"]["get"]["responses"][200]["content"]["application/json"];
type LeadRow = LeadList["leads"][number];
type SearchRow = paths["/api/v1/leads/search"]["get"]["responses"][200]["content"]["application/json"][number];

export interface ScoreUpdate {
  lead_id: string;
  score: number;
  delta: number;
  scores: Record<string, number>;
}

const SEARCH_DEBOUNCE_MS = 300;
const FLASH_MS = 2500;
const SORT_OPTIONS: { value: LeadSort; label: string }[] = [
  { value: "-score", label: "Highest score" },
  { value: "score", label: "Lowest score" },
  { value: "-created_at", label: "Newest" },
  { value: "created_at", label: "Oldest" },
];
const LAST_ACTIVE_LABELS: Record<(typeof LAST_ACTIVE)[number], string> = { any: "Any time", "7d": "Last 7 days", "30d": "Last 30 days" };

/** Lead ids whose score just changed live, for a moment. */
function useFlashedLeads() {
  const [flashed, setFlashed] = useState<ReadonlySet<string>>(new Set());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  useEffect(() => () => timers.current.forEach((timer) => clearTimeout(timer)), []);
  const flash = (leadId: string) => {
    clearTimeout(timers.current.get(leadId));
    setFlashed((current) => new Set(current).add(leadId));
    timers.current.set(
      leadId,
      setTimeout(() => {
        timers.current.delete(leadId);
        setFlashed((current) => {
          const next = new Set(current);
          next.delete(leadId);
          return next;
        });
      }, FLASH_MS),
    );
  };
  return { flashed, flash };
}

function isLeadList(data: unknown): data is LeadList {
  return typeof data === "object" && data !== null && "leads" in data && Array.isArray(data.leads);
}

function ScoreCell({ score, flashed }: { score: number; flashed: boolean }) {
  return (
    <Text fw={600} className={flashed ? "lead-score-flash" : undefined} data-flashed={flashed || undefined} style={flashed ? { color: "var(--mantine-color-green-7)" } : undefined}>
      {score.toLocaleString()}
    </Text>
  );
}

function EmptyLeads({ filtered, onClear }: { filtered: boolean; onClear: () => void }) {
  if (filtered) {
    return (
      <Button variant="light" onClick={onClear}>
        Clear filters
      </Button>
    );
  }
  return (
    <Code block ta="left">
      {`curl -X POST "$LEADVIBE/api/v1/events" -u "$KEY:$SECRET" \\
  -H 'Content-Type: application/json' \\
  -d '{"lead_id": "ld_1", "event_type": "page_view"}'`}
    </Code>
  );
}

export default function LeadsPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const state = useMemo(() => stateFromSearchParams(searchParams), [searchParams]);
  const [searchText, setSearchText] = useState(state.search);
  const [debouncedSearch] = useDebouncedValue(searchText.trim(), SEARCH_DEBOUNCE_MS);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const levels = useEngagementLevels();
  const levelBands = levels.data ?? [];
  const levelNames = levelBands.map((level) => level.name);
  const { flashed, flash } = useFlashedLeads();
  // The lead page (and its chart library) is what comes next from here: fetch its code now.
  useEffect(() => void import("./LeadPage"), []);

  const update = (change: Partial<LeadListState>) => {
    // Any filter change starts again at page 1.
    const next = { ...state, page: 1, ...change };
    setSearchParams(searchParamsFromState(next), { replace: true });
  };

  useEffect(() => {
    if (debouncedSearch !== state.search) update({ search: debouncedSearch });
    // Only a settled search text updates the URL (one history entry, one request).
  }, [debouncedSearch]);

  const searching = state.search.length >= SEARCH_MIN_LENGTH;
  const query = apiQueryFromState(state, levelBands);
  const leads = useQuery({
    queryKey: ["/api/v1/leads", query],
    queryFn: () => unwrap(api.GET("/api/v1/leads", { params: { query } })),
    placeholderData: keepPreviousData,
    enabled: !searching && (!state.level || levels.isSuccess),
  });
  const eventTypes = useQuery({
    queryKey: ["/api/v1/events/types"],
    queryFn: () => unwrap(api.GET("/api/v1/events/types")),
    staleTime: 5 * 60_000,
  });
  const search = useQuery({
    queryKey: ["/api/v1/leads/search", { q: state.search }],
    queryFn: () => unwrap(api.GET("/api/v1/leads/search", { params: { query: { q: state.search } } })),
    enabled: searching,
    placeholderData: keepPreviousData,
  });
  const searchIds = (search.data ?? []).map((row) => row.id);
  const searchScores = useQuery({
    queryKey: ["/api/v1/leads/scores", searchIds],
    queryFn: () => unwrap(api.POST("/api/v1/leads/scores", { body: { lead_ids: searchIds, ruleset: "primary" } })),
    enabled: searching && searchIds.length > 0,
  });

  useLiveEvent<ScoreUpdate>("score_update", (update) => {
    // The prefix also matches other answers under /api/v1/leads (a lead, a count): only lists change.
    queryClient.setQueriesData({ queryKey: ["/api/v1/leads"] }, (list: unknown) => {
      if (!isLeadList(list) || !list.leads.some((lead) => lead.id === update.lead_id)) return list;
      return {
        ...list,
        leads: list.leads.map((lead) =>
          lead.id === update.lead_id ? { ...lead, score: update.score, engagement_level: levelOf(update.score, levelBands) } : lead,
        ),
      };
    });
    flash(update.lead_id);
  });

  const filtered = Boolean(state.search || state.level || state.minScore !== undefined || state.maxScore !== undefined || state.lastActive !== "any" || state.eventType);
  const clearFilters = () => {
    setSearchText("");
    setSearchParams(new URLSearchParams({ ...(state.sort !== "-score" ? { sort: state.sort } : {}) }), { replace: true });
  };

  const columns: Column<LeadRow>[] = [
    {
      key: "lead",
      header: "Lead",
      render: (lead) => (
        <Stack gap={0}>
          <Anchor component={Link} to={`/leads/${encodeURIComponent(lead.id)}`} fw={500} onClick={(event) => event.stopPropagation()}>
            {leadDisplayName(lead.metadata, lead.id)}
          </Anchor>
          <Text size="xs" c="dimmed">
            {lead.id}
          </Text>
        </Stack>
      ),
    },
    { key: "score", header: "Score", align: "right", render: (lead) => <ScoreCell score={lead.score} flashed={flashed.has(lead.id)} /> },
    { key: "level", header: "Level", render: (lead) => <LevelBadge level={lead.engagement_level} levelNames={levelNames} /> },
    { key: "last_event", header: "Last event", render: (lead) => lead.last_event_type ?? <Text c="dimmed">—</Text> },
    { key: "last_active", header: "Last active", render: (lead) => <RelativeTime value={lead.last_active_at} /> },
    { key: "created", header: "Created", render: (lead) => <RelativeTime value={lead.created_at} /> },
  ];

  const searchColumns: Column<SearchRow>[] = [
    columns[0] as unknown as Column<SearchRow>,
    {
      key: "score",
      header: "Score",
      align: "right",
      render: (row) => {
        const score = searchScores.data?.find((item) => item.lead_id === row.id);
        return score ? <ScoreCell score={score.score ?? 0} flashed={flashed.has(row.id)} /> : <Text c="dimmed">…</Text>;
      },
    },
    {
      key: "level",
      header: "Level",
      render: (row) => <LevelBadge level={searchScores.data?.find((item) => item.lead_id === row.id)?.engagement_level} levelNames={levelNames} />,
    },
    { key: "matched", header: "Matched by", render: (row) => (row.matched_by === "id" ? "Lead id" : `${row.matched_by}: ${row.matched_value}`) },
    { key: "created", header: "Created", render: (row) => <RelativeTime value={row.created_at} /> },
  ];

  const openLead = (row: { id: string }) => void navigate(`/leads/${encodeURIComponent(row.id)}`);
  const total = leads.data?.total;

  return (
    <>
      <PageHeader
        title="Leads"
        description={
          !searching && total !== undefined
            ? `${leads.data?.total_exact === false ? "About " : ""}${total.toLocaleString()} leads${filtered ? " match" : ""}, scored live.`
            : "Every lead with its score, level and last activity."
        }
      />
      <Group align="flex-end" gap="sm" mb="md" wrap="wrap" role="search" aria-label="Filter leads">
        <TextInput
          label="Search"
          placeholder="Lead id or email"
          description={`At least ${SEARCH_MIN_LENGTH} characters`}
          value={searchText}
          onChange={(event) => setSearchText(event.currentTarget.value)}
          w={200}
        />
        <Select
          label="Level"
          placeholder="Any level"
          data={levelNames}
          value={state.level ?? null}
          onChange={(value) => update({ level: value ?? undefined })}
          clearable
          disabled={searching}
          w={140}
        />
        <NumberInput label="Min score" value={state.minScore ?? ""} onChange={(value) => update({ minScore: typeof value === "number" ? value : undefined })} allowDecimal={false} disabled={searching} w={100} />
        <NumberInput label="Max score" value={state.maxScore ?? ""} onChange={(value) => update({ maxScore: typeof value === "number" ? value : undefined })} allowDecimal={false} disabled={searching} w={100} />
        <Select
          label="Last active"
          data={LAST_ACTIVE.map((value) => ({ value, label: LAST_ACTIVE_LABELS[value] }))}
          value={state.lastActive}
          onChange={(value) => update({ lastActive: (value as LeadListState["lastActive"] | null) ?? "any" })}
          allowDeselect={false}
          disabled={searching}
          w={140}
        />
        <Select
          label="Last event type"
          placeholder="Any type"
          data={eventTypes.data ?? []}
          value={state.eventType ?? null}
          onChange={(value) => update({ eventType: value ?? undefined })}
          searchable
          clearable
          disabled={searching}
          w={170}
        />
        <Select
          label="Sort"
          data={SORT_OPTIONS}
          value={state.sort}
          onChange={(value) => update({ sort: (value as LeadSort | null) ?? "-score", page: state.page })}
          allowDeselect={false}
          disabled={searching}
          w={150}
        />
        {filtered && (
          <Button variant="subtle" onClick={clearFilters}>
            Clear filters
          </Button>
        )}
      </Group>
      {searching ? (
        <DataTable
          caption="Leads matching the search"
          columns={searchColumns}
          rows={search.data}
          rowKey={(row) => row.id}
          isLoading={search.isPending}
          error={search.error}
          onRetry={() => void search.refetch()}
          empty={{ title: `No lead id or alias starts with “${state.search}”`, description: "Search matches the start of a lead id or of an alias value (email, user id).", action: <EmptyLeads filtered onClear={clearFilters} /> }}
          onRowClick={openLead}
        />
      ) : (
        <DataTable
          caption="Leads"
          columns={columns}
          rows={leads.data?.leads}
          rowKey={(lead) => lead.id}
          isLoading={leads.isPending}
          error={leads.error}
          onRetry={() => void leads.refetch()}
          empty={
            filtered
              ? { title: "No leads match these filters", description: "Widen the score range or the activity window, or clear the filters.", action: <EmptyLeads filtered onClear={clearFilters} /> }
              : { title: "No leads yet", description: "A lead appears with its first event. Send one from your site, your CRM or a CSV import (Data), or with curl:", action: <EmptyLeads filtered={false} onClear={clearFilters} /> }
          }
          page={state.page}
          pageSize={PAGE_SIZE}
          total={total}
          onPageChange={(page) => setSearchParams(searchParamsFromState({ ...state, page }))}
          onRowClick={openLead}
        />
      )}
    </>
  );
}
