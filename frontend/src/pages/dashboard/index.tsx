/**
 * The dashboard: totals (`/analytics`, `/analytics/stats`), leads per level and per score
 * band, events per day, top leads, recent gains, and a live feed of the OU's stream. The live
 * provider invalidates `/api/v1/analytics`, `/api/v1/leads` and `/api/v1/events` queries on
 * stream events, so every number here refreshes without a reload.
 */
import { Alert, Anchor, Badge, Card, Code, Grid, Group, Progress, ScrollArea, SimpleGrid, Skeleton, Stack, Text, Title } from "@mantine/core";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import { api } from "../../api/client";
import { toFormError, toApiError, unwrap } from "../../api/errors";
import { DataTable } from "../../components/DataTable";
import { LIVE_EVENT_NAMES, useLiveEvent, useLiveStatus, type LiveEventName } from "../../components/LiveEvents";
import { PageHeader } from "../../components/PageHeader";
import { RelativeTime } from "../../components/Time";
import { LevelBadge, levelColor, useEngagementLevels } from "../leads/levels";
import { countsPerDay, dayStarts, scoreBuckets } from "./aggregates";
import { EventsPerDayChart, ScoreDistributionChart } from "./DashboardCharts";
import { feedItem, prependToFeed, type FeedItem } from "./liveFeed";

const DAYS = 14;
const TABLE_ROWS = 8;

function Panel({ title, children, action }: { title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <Card withBorder padding="md" h="100%">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h5">
          {title}
        </Title>
        {action}
      </Group>
      {children}
    </Card>
  );
}

function PanelError({ error }: { error: unknown }) {
  return (
    <Alert color="red" role="alert" title="Could not load">
      {toFormError(error).message}
    </Alert>
  );
}

function Stat({ label, value, hint }: { label: string; value: number | undefined; hint?: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {value === undefined ? <Skeleton height={28} mt={4} /> : <Text fz={28} fw={700} data-testid={`stat-${label}`}>{value.toLocaleString()}</Text>}
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}

/** How many leads match a score band: one cheap `GET /leads?limit=1` each. */
function countLeads(band: { min: number; max: number | null }) {
  const query = { limit: 1, min_score: band.min, ...(band.max === null ? {} : { max_score: band.max }) };
  return {
    queryKey: ["/api/v1/leads", query],
    // The cache holds the path's own answer: the leads page updates every cached lead list live.
    queryFn: () => unwrap(api.GET("/api/v1/leads", { params: { query } })),
    select: (list: { total: number }) => list.total,
  };
}

function useEventsPerDay() {
  const starts = useMemo(() => dayStarts(new Date(), DAYS), []);
  const totals = useQueries({
    queries: starts.map((start) => {
      const query = { occurred_since: start.toISOString(), limit: 1 };
      return {
        queryKey: ["/api/v1/events", query],
        queryFn: async () => {
          const { data, error, response } = await api.GET("/api/v1/events", { params: { query } });
          if (!response.ok || !data) throw toApiError(error, response.status);
          return Number(response.headers.get("X-Total-Count") ?? data.length);
        },
      };
    }),
  });
  const error = totals.find((total) => total.error)?.error;
  const ready = totals.every((total) => total.data !== undefined);
  return { error, days: ready ? countsPerDay(starts, totals.map((total) => total.data ?? 0)) : undefined };
}

function FeedSubscription({ name, onEvent }: { name: LiveEventName; onEvent: (name: LiveEventName, data: unknown) => void }) {
  useLiveEvent(name, (data) => onEvent(name, data));
  return null;
}

function LiveFeed() {
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const sequence = useRef(0);
  const status = useLiveStatus();
  const push = (name: LiveEventName, data: unknown) => {
    sequence.current += 1;
    const item = feedItem(name, data, new Date(), sequence.current);
    setFeed((current) => prependToFeed(current, item));
  };
  const toneColor = { gain: "green", loss: "red", neutral: "gray", trigger: "grape" } as const;
  return (
    <Panel title="Live" action={<Badge variant="dot" color={status === "open" ? "green" : "gray"}>{status === "open" ? "Listening" : status}</Badge>}>
      {LIVE_EVENT_NAMES.map((name) => (
        <FeedSubscription key={name} name={name} onEvent={push} />
      ))}
      {feed.length === 0 ? (
        <Text size="sm" c="dimmed">
          Waiting for activity. Scores, events, segment changes and trigger firings of this OU show here the moment they happen.
        </Text>
      ) : (
        <ScrollArea.Autosize mah={420}>
          <Stack gap={6} component="ul" role="log" aria-label="Live activity" p={0} m={0} style={{ listStyle: "none" }} data-testid="live-feed">
            {feed.map((item) => (
              <li key={item.key}>
                <Group justify="space-between" wrap="nowrap" gap="xs">
                  <Stack gap={0} style={{ minWidth: 0 }}>
                    <Group gap={6} wrap="nowrap">
                      <Badge size="sm" variant="light" color={toneColor[item.tone]}>
                        {item.title}
                      </Badge>
                      <Text size="xs" c="dimmed" truncate>
                        {item.detail}
                      </Text>
                    </Group>
                    {item.leadId && (
                      <Anchor component={Link} to={`/leads/${encodeURIComponent(item.leadId)}`} size="sm" truncate>
                        {item.leadId}
                      </Anchor>
                    )}
                  </Stack>
                  <Text size="xs" c="dimmed" style={{ whiteSpace: "nowrap" }}>
                    <RelativeTime value={item.receivedAt.toISOString()} />
                  </Text>
                </Group>
              </li>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      )}
    </Panel>
  );
}

export default function DashboardPage() {
  const navigate = useNavigate();
  const analytics = useQuery({ queryKey: ["/api/v1/analytics"], queryFn: () => unwrap(api.GET("/api/v1/analytics")) });
  const stats = useQuery({ queryKey: ["/api/v1/analytics/stats"], queryFn: () => unwrap(api.GET("/api/v1/analytics/stats")) });
  const topLeads = useQuery({ queryKey: ["/api/v1/analytics/top-leads", { limit: TABLE_ROWS }], queryFn: () => unwrap(api.GET("/api/v1/analytics/top-leads", { params: { query: { limit: TABLE_ROWS } } })) });
  const gains = useQuery({
    queryKey: ["/api/v1/analytics/recent-gains", { hours: 24, limit: TABLE_ROWS }],
    queryFn: () => unwrap(api.GET("/api/v1/analytics/recent-gains", { params: { query: { hours: 24, limit: TABLE_ROWS } } })),
  });
  const levels = useEngagementLevels();
  const levelBands = levels.data ?? [];
  const levelNames = levelBands.map((level) => level.name);
  const levelCounts = useQueries({ queries: levelBands.map((level) => countLeads({ min: level.min_score, max: level.max_score })) });
  const buckets = topLeads.data ? scoreBuckets(topLeads.data[0]?.score ?? 0) : [];
  const bucketCounts = useQueries({ queries: buckets.map(countLeads) });
  const eventsPerDay = useEventsPerDay();

  const leadsWithLevel = levelCounts.reduce((sum, count) => sum + (count.data ?? 0), 0);
  const noData = analytics.data?.totals.events === 0;

  return (
    <>
      <PageHeader title="Dashboard" description="Who is hot right now, and what is happening live." />
      {noData && (
        <Alert color="blue" mb="md" title="No events yet">
          Scores come from engagement events. Send one with an API credential (Settings → API credentials):
          <Code block mt="xs">{`curl -X POST "$LEADVIBE/api/v1/events" -u "$KEY:$SECRET" \\
  -H 'Content-Type: application/json' \\
  -d '{"lead_id": "ld_1", "event_type": "page_view"}'`}</Code>
        </Alert>
      )}
      {analytics.error ? (
        <PanelError error={analytics.error} />
      ) : (
        <SimpleGrid cols={{ base: 2, md: 4 }} mb="md">
          <Stat label="Events" value={analytics.data?.totals.events} hint={stats.data ? `${stats.data.last_24h.events.toLocaleString()} in the last 24 h` : undefined} />
          <Stat label="Active leads" value={analytics.data?.totals.leads} hint={stats.data ? `${stats.data.last_24h.new_leads.toLocaleString()} new in the last 24 h` : undefined} />
          <Stat label="Points scored" value={analytics.data?.totals.points} hint={stats.data ? `${stats.data.last_24h.points.toLocaleString()} in the last 24 h` : undefined} />
          <Stat label="Suppressed events" value={analytics.data?.totals.suppressed_events} hint="Kept for audit, not scored" />
        </SimpleGrid>
      )}
      <Grid>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="md">
            <Panel title={`Events per day (last ${DAYS} days)`}>
              {eventsPerDay.error ? <PanelError error={eventsPerDay.error} /> : eventsPerDay.days ? <EventsPerDayChart days={eventsPerDay.days} /> : <Skeleton height={220} />}
            </Panel>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Panel title="Leads by engagement level">
                {levels.error ? (
                  <PanelError error={levels.error} />
                ) : levels.isPending ? (
                  <Skeleton height={160} />
                ) : levelBands.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    No engagement levels: define them under <Anchor component={Link} to="/scoring">Scoring</Anchor> to group leads as cold, warm or hot.
                  </Text>
                ) : (
                  <Stack gap="sm" data-testid="leads-by-level">
                    {[...levelBands].reverse().map((level) => {
                      const count = levelCounts[levelBands.indexOf(level)]?.data;
                      return (
                        <Anchor key={level.level_id} component={Link} to={`/leads?level=${encodeURIComponent(level.name)}`} underline="never" c="inherit">
                          <Group justify="space-between" mb={2}>
                            <LevelBadge level={level.name} levelNames={levelNames} />
                            <Text size="sm" fw={600}>
                              {count === undefined ? "…" : count.toLocaleString()}
                            </Text>
                          </Group>
                          <Progress value={count && leadsWithLevel ? (100 * count) / leadsWithLevel : 0} color={levelColor(level.name, levelNames)} aria-label={`${level.name} share of leads`} />
                        </Anchor>
                      );
                    })}
                  </Stack>
                )}
              </Panel>
              <Panel title="Score distribution">
                {topLeads.error ? (
                  <PanelError error={topLeads.error} />
                ) : bucketCounts.some((count) => count.error) ? (
                  <PanelError error={bucketCounts.find((count) => count.error)?.error} />
                ) : !topLeads.data || bucketCounts.some((count) => count.data === undefined) ? (
                  <Skeleton height={220} />
                ) : (
                  <ScoreDistributionChart buckets={buckets.map((bucket, index) => ({ label: bucket.label, count: bucketCounts[index]?.data ?? 0 }))} />
                )}
              </Panel>
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Panel title="Top leads" action={<Anchor component={Link} to="/leads" size="sm">All leads</Anchor>}>
                <DataTable
                  caption="Top leads"
                  columns={[
                    { key: "lead", header: "Lead", render: (lead) => <Anchor component={Link} to={`/leads/${encodeURIComponent(lead.lead_id)}`} size="sm">{lead.lead_id}</Anchor> },
                    { key: "score", header: "Score", align: "right", render: (lead) => <Text fw={600}>{lead.score.toLocaleString()}</Text> },
                    { key: "level", header: "Level", render: (lead) => <LevelBadge level={lead.engagement_level} levelNames={levelNames} /> },
                    { key: "active", header: "Last active", render: (lead) => <RelativeTime value={lead.last_active_at} /> },
                  ]}
                  rows={topLeads.data}
                  rowKey={(lead) => lead.lead_id}
                  isLoading={topLeads.isPending}
                  error={topLeads.error}
                  onRetry={() => void topLeads.refetch()}
                  empty={{ title: "No scored leads yet", description: "Leads rank here once a ruleset's rules score their events." }}
                  onRowClick={(lead) => void navigate(`/leads/${encodeURIComponent(lead.lead_id)}`)}
                />
              </Panel>
              <Panel title="Biggest gains (24 h)">
                <DataTable
                  caption="Recent score gains"
                  columns={[
                    { key: "lead", header: "Lead", render: (gain) => <Anchor component={Link} to={`/leads/${encodeURIComponent(gain.lead_id)}`} size="sm">{gain.lead_id}</Anchor> },
                    { key: "gain", header: "Gain", align: "right", render: (gain) => <Text c="green.7" fw={600}>+{gain.gain.toLocaleString()}</Text> },
                    { key: "events", header: "Events", align: "right", render: (gain) => gain.events.toLocaleString() },
                    { key: "score", header: "Score", align: "right", render: (gain) => gain.score.toLocaleString() },
                  ]}
                  rows={gains.data}
                  rowKey={(gain) => gain.lead_id}
                  isLoading={gains.isPending}
                  error={gains.error}
                  onRetry={() => void gains.refetch()}
                  empty={{ title: "No gains in the last 24 hours", description: "Leads whose score rose today appear here, biggest first." }}
                  onRowClick={(gain) => void navigate(`/leads/${encodeURIComponent(gain.lead_id)}`)}
                />
              </Panel>
            </SimpleGrid>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack gap="md">
            <LiveFeed />
            <Panel title="Top events (24 h)">
              {stats.error ? (
                <PanelError error={stats.error} />
              ) : !stats.data ? (
                <Skeleton height={120} />
              ) : stats.data.top_events.length === 0 ? (
                <Text size="sm" c="dimmed">No events in the last 24 hours.</Text>
              ) : (
                <Stack gap={6}>
                  {stats.data.top_events.map((top) => (
                    <Group key={top.event_type} justify="space-between">
                      <Text size="sm">{top.event_type}</Text>
                      <Text size="sm" c="dimmed">
                        {top.count.toLocaleString()} from {top.leads.toLocaleString()} leads
                      </Text>
                    </Group>
                  ))}
                </Stack>
              )}
            </Panel>
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}
