/**
 * One lead: who it is (metadata, aliases, account), where it stands (a score per ruleset with
 * its level, profile fit, segments), how it got there (score-history chart and the event
 * timeline with each event's explanation), and merge and delete. Scores refresh live.
 */
import { Alert, Anchor, Badge, Card, Grid, Group, Skeleton, Stack, Table, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueries, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../../api/client";
import { toFormError, unwrap } from "../../api/errors";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { PageHeader } from "../../components/PageHeader";
import { RelativeTime } from "../../components/Time";
import { WriteButton } from "../../components/WriteButton";
import { formatDateTime } from "../../components/time";
import { leadDisplayName } from "./display";
import { EventTimeline } from "./EventTimeline";
import { LeadMergeDialog } from "./LeadMergeDialog";
import { LevelBadge, useEngagementLevels } from "./levels";
import { levelOf } from "./listParams";
import { ScoreHistoryChart } from "./ScoreHistoryChart";
import { useChartedEvents, useLeadEventHistory } from "./useLeadEventHistory";

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Card withBorder padding="md">
      <Title order={3} size="h5" mb="sm">
        {title}
      </Title>
      {children}
    </Card>
  );
}

function QueryError({ error, what }: { error: unknown; what: string }) {
  return (
    <Alert color="red" role="alert" title={`Could not load ${what}`}>
      {toFormError(error).message}
    </Alert>
  );
}

function KeyValues({ values, empty }: { values: Record<string, unknown>; empty: string }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <Text size="sm" c="dimmed">{empty}</Text>;
  return (
    <Table fz="sm">
      <Table.Tbody>
        {entries.map(([key, value]) => (
          <Table.Tr key={key}>
            <Table.Th w="40%" fw={500}>
              {key}
            </Table.Th>
            <Table.Td style={{ wordBreak: "break-word" }}>{typeof value === "string" ? value : JSON.stringify(value)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export default function LeadPage() {
  const { leadId = "" } = useParams();
  const navigate = useNavigate();
  const path = { lead_id: leadId };
  const leadPath = `/api/v1/leads/${leadId}`;
  const [merging, setMerging] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);

  const lead = useQuery({ queryKey: [leadPath], queryFn: () => unwrap(api.GET("/api/v1/leads/{lead_id}", { params: { path } })) });
  const aliases = useQuery({ queryKey: [`${leadPath}/aliases`], queryFn: () => unwrap(api.GET("/api/v1/leads/{lead_id}/aliases", { params: { path } })) });
  const profile = useQuery({ queryKey: [`${leadPath}/profile`], queryFn: () => unwrap(api.GET("/api/v1/leads/{lead_id}/profile", { params: { path } })) });
  const segments = useQuery({ queryKey: [`${leadPath}/segments`], queryFn: () => unwrap(api.GET("/api/v1/leads/{lead_id}/segments", { params: { path } })) });
  const rulesets = useQuery({ queryKey: ["/api/v1/rulesets"], queryFn: () => unwrap(api.GET("/api/v1/rulesets")) });
  const levels = useEngagementLevels();
  const activeRulesets = (rulesets.data ?? []).filter((ruleset) => ruleset.active);
  const scores = useQueries({
    queries: activeRulesets.map((ruleset) => ({
      queryKey: [`${leadPath}/score`, { ruleset_id: ruleset.ruleset_id }],
      queryFn: () => unwrap(api.GET("/api/v1/leads/{lead_id}/score", { params: { path, query: { ruleset_id: ruleset.ruleset_id } } })),
    })),
  });
  const history = useLeadEventHistory(leadId);
  const chartedEvents = useChartedEvents(leadId, history.data);

  const primaryIndex = activeRulesets.findIndex((ruleset) => ruleset.is_primary);
  // undefined until known: the chart is anchored at the current primary score.
  const primaryScore = rulesets.isPending ? undefined : primaryIndex >= 0 ? scores[primaryIndex]?.data?.score : 0;
  const levelBands = levels.data ?? [];
  const levelNames = levelBands.map((level) => level.name);

  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/leads/{lead_id}", { params: { path } })),
    onSuccess: () => {
      notifications.show({ title: "Lead is being deleted", message: `${leadId}, its events and scores are being removed.` });
      void navigate("/leads");
    },
  });

  if (lead.error) {
    return (
      <>
        <PageHeader title="Lead" />
        <QueryError error={lead.error} what={`lead ${leadId}`} />
        <Anchor component={Link} to="/leads" mt="md" display="block">
          Back to leads
        </Anchor>
      </>
    );
  }

  const detail = lead.data?.lead;
  return (
    <>
      <PageHeader
        title={detail ? leadDisplayName(detail.metadata, detail.id) : leadId}
        description={
          detail ? (
            <>
              {detail.id} · created {formatDateTime(detail.created_at)}
              {detail.owner_name ? ` · owner ${detail.owner_name}` : ""}
            </>
          ) : (
            "Loading…"
          )
        }
        actions={
          detail &&
          !detail.merged_into && (
            <>
              <WriteButton variant="default" onClick={() => setMerging(true)}>
                Merge leads into this one
              </WriteButton>
              <WriteButton color="red" variant="light" onClick={() => setConfirmingDelete(true)}>
                Delete lead
              </WriteButton>
            </>
          )
        }
      />
      {detail?.merged_into && (
        <Alert color="yellow" mb="md" title="Merged">
          This lead was merged into{" "}
          <Anchor component={Link} to={`/leads/${encodeURIComponent(detail.merged_into)}`}>
            {detail.merged_into}
          </Anchor>
          ; it is read-only.
        </Alert>
      )}
      <Stack gap="md">
        <Grid>
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Section title="Scores">
              {rulesets.error ? (
                <QueryError error={rulesets.error} what="rulesets" />
              ) : rulesets.isPending ? (
                <Skeleton height={60} />
              ) : activeRulesets.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No active ruleset: create one under <Anchor component={Link} to="/scoring">Scoring</Anchor> to score leads.
                </Text>
              ) : (
                <Table fz="sm" data-testid="lead-scores">
                  <Table.Tbody>
                    {activeRulesets.map((ruleset, index) => {
                      const score = scores[index];
                      return (
                        <Table.Tr key={ruleset.ruleset_id}>
                          <Table.Td>
                            {ruleset.name} {ruleset.is_primary && <Badge size="xs" variant="outline">primary</Badge>}
                          </Table.Td>
                          <Table.Td ta="right" fw={700} fz="lg">
                            {score?.error ? "—" : score?.data ? score.data.score.toLocaleString() : <Skeleton height={14} width={30} />}
                          </Table.Td>
                          <Table.Td style={{ whiteSpace: "nowrap" }}>{score?.data && <LevelBadge level={levelOf(score.data.score, levelBands)} levelNames={levelNames} />}</Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              )}
            </Section>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Section title="Profile fit">
              {profile.error ? (
                <QueryError error={profile.error} what="the profile" />
              ) : !profile.data ? (
                <Skeleton height={60} />
              ) : profile.data.profile_score === null ? (
                <Text size="sm" c="dimmed">
                  No primary profile ruleset: profile scoring rates who a lead is (title, company size) apart from what it does.
                </Text>
              ) : (
                <Group>
                  <Text fw={700} fz="xl">
                    {profile.data.profile_score.toLocaleString()}
                  </Text>
                  {profile.data.profile_level ? <Badge variant="light">{profile.data.profile_level}</Badge> : <Badge color="gray">No level</Badge>}
                </Group>
              )}
            </Section>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Section title="Segments">
              {segments.error ? (
                <QueryError error={segments.error} what="segments" />
              ) : !segments.data ? (
                <Skeleton height={60} />
              ) : segments.data.length === 0 ? (
                <Text size="sm" c="dimmed">
                  In no segment. Segments group leads by rules (score, level, metadata); build one under <Anchor component={Link} to="/segments">Segments</Anchor>.
                </Text>
              ) : (
                <Stack gap={4}>
                  {segments.data.map((segment) => (
                    <Group key={segment.segment_id} justify="space-between">
                      <Anchor component={Link} to={`/segments/${encodeURIComponent(segment.segment_id)}`} size="sm">
                        {segment.name}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        since <RelativeTime value={segment.entered_at} />
                      </Text>
                    </Group>
                  ))}
                </Stack>
              )}
            </Section>
          </Grid.Col>
        </Grid>

        <Section title="Score history">
          {history.error ? (
            <QueryError error={history.error} what="events" />
          ) : !history.data || !chartedEvents || primaryScore === undefined ? (
            <Skeleton height={260} />
          ) : (
            <ScoreHistoryChart events={chartedEvents} currentScore={primaryScore} complete={history.data.complete} />
          )}
        </Section>

        <Section title={`Events${history.data ? ` (${history.data.total.toLocaleString()})` : ""}`}>
          {history.error ? <QueryError error={history.error} what="events" /> : <EventTimeline events={history.data?.events ?? []} total={history.data?.total ?? 0} loading={!history.data} />}
        </Section>

        <Grid>
          <Grid.Col span={{ base: 12, md: 6 }}>
            <Section title="Metadata">{detail ? <KeyValues values={detail.metadata} empty="No metadata yet: events and the API can set it." /> : <Skeleton height={60} />}</Section>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 6 }}>
            <Section title="Aliases">
              {aliases.error ? (
                <QueryError error={aliases.error} what="aliases" />
              ) : !aliases.data ? (
                <Skeleton height={60} />
              ) : aliases.data.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No aliases. Events sent with `aliases` (email, user id) attach them, so later events find this lead.
                </Text>
              ) : (
                <Table fz="sm">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Kind</Table.Th>
                      <Table.Th>Value</Table.Th>
                      <Table.Th>Since</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {aliases.data.map((alias) => (
                      <Table.Tr key={`${alias.alias_kind}:${alias.value}`}>
                        <Table.Td>{alias.alias_kind}</Table.Td>
                        <Table.Td>{alias.raw_value}</Table.Td>
                        <Table.Td>
                          <RelativeTime value={alias.created_at} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Section>
            {lead.data?.account && (
              <Section title={`Account: ${lead.data.account.name}`}>
                <KeyValues values={lead.data.account.metadata} empty="No account metadata." />
              </Section>
            )}
          </Grid.Col>
        </Grid>
      </Stack>

      <LeadMergeDialog leadId={leadId} opened={merging} onClose={() => setMerging(false)} />
      <ConfirmDialog
        opened={confirmingDelete}
        title={`Delete ${leadId}?`}
        confirmLabel="Delete lead"
        destructive
        loading={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setConfirmingDelete(false)}
      >
        The lead, its {history.data ? history.data.total.toLocaleString() : ""} events, aliases and scores are deleted for good. Triggers will not fire for it again.
        {remove.error ? (
          <Alert color="red" role="alert" mt="sm">
            {toFormError(remove.error).message}
          </Alert>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
