/**
 * One segment: its members (server-side pages, by score), its enter/exit history, its rules, the
 * progress of a membership recompute, a CSV export, and edit/delete for those who may write.
 */
import { Alert, Anchor, Badge, Button, Code, Loader, Progress, Select, Stack, Tabs, Text } from "@mantine/core";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../../api/client";
import { toFormError, unwrap } from "../../api/errors";
import { invalidatePaths } from "../../api/queryClient";
import type { components } from "../../api/schema";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader } from "../../components/PageHeader";
import { RelativeTime } from "../../components/Time";
import { unwrapWithTotal } from "../../components/withTotal";
import { isJobFinished, useJobProgress } from "../../components/useJobProgress";
import { WriteButton } from "../../components/WriteButton";
import { SegmentEditor } from "./SegmentEditor";
import { OPERATOR_LABELS, RULE_TYPE_LABELS, rulesToGroups, takesValue, type SavedRule } from "./ruleBuilder";

type Segment = components["schemas"]["SegmentOutput"];
type Member = components["schemas"]["SegmentMemberOutput"];
type MembershipEvent = components["schemas"]["MembershipEventOutput"];
type Recompute = components["schemas"]["SegmentRecomputeOutput"];

const PAGE_SIZE = 50;

const leadLink = (leadId: string) => (
  <Anchor component={Link} to={`/leads/${encodeURIComponent(leadId)}`} size="sm">
    {leadId}
  </Anchor>
);

const MEMBER_COLUMNS: Column<Member>[] = [
  { key: "lead_id", header: "Lead", render: (member) => leadLink(member.lead_id) },
  { key: "score", header: "Score", align: "right", render: (member) => member.score.toLocaleString() },
  { key: "engagement_level", header: "Engagement level", render: (member) => member.engagement_level ?? "—" },
  { key: "profile_level", header: "Profile level", render: (member) => member.profile_level ?? "—" },
  { key: "entered_at", header: "In since", render: (member) => <RelativeTime value={member.entered_at} /> },
];

const CAUSES: Record<string, string> = {
  event: "an event",
  decay: "score decay",
  metadata: "a property change",
  merge: "a lead merge",
  deleted: "the lead's deletion",
  rules_changed: "a rule change",
  activated: "the segment's activation",
};

const HISTORY_COLUMNS: Column<MembershipEvent>[] = [
  { key: "at", header: "When", render: (event) => <RelativeTime value={event.at} /> },
  {
    key: "type",
    header: "Change",
    render: (event) => (
      <Badge variant="light" color={event.type === "segment_entered" ? "teal" : "orange"}>
        {event.type === "segment_entered" ? "Entered" : "Exited"}
      </Badge>
    ),
  },
  { key: "lead_id", header: "Lead", render: (event) => leadLink(event.lead_id) },
  { key: "cause", header: "Because of", render: (event) => CAUSES[event.cause] ?? event.cause },
];


function Members({ segment }: { segment: Segment }) {
  const [page, setPage] = useState(1);
  const params = { path: { segment_id: segment.segment_id } };
  const members = useQuery({
    queryKey: [`/api/v1/segments/${segment.segment_id}/leads`, page],
    queryFn: () => unwrapWithTotal(api.GET("/api/v1/segments/{segment_id}/leads", { params: { ...params, query: { page, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <DataTable
      caption="Segment members"
      columns={MEMBER_COLUMNS}
      rows={members.data?.rows}
      rowKey={(member) => member.lead_id}
      isLoading={members.isLoading}
      error={members.error}
      onRetry={() => void members.refetch()}
      page={page}
      pageSize={PAGE_SIZE}
      total={members.data?.total}
      onPageChange={setPage}
      empty={{
        title: segment.active ? "No lead matches yet" : "This segment is inactive",
        description: segment.active ? "Leads join as soon as they match the rules; loosen a rule to let more in." : "Inactive segments keep no members: activate it to compute them.",
      }}
    />
  );
}

function History({ segment }: { segment: Segment }) {
  const [page, setPage] = useState(1);
  const [type, setType] = useState<"segment_entered" | "segment_exited" | null>(null);
  const params = { path: { segment_id: segment.segment_id } };
  const events = useQuery({
    queryKey: [`/api/v1/segments/${segment.segment_id}/events`, page, type],
    queryFn: () => unwrapWithTotal(api.GET("/api/v1/segments/{segment_id}/events", { params: { ...params, query: { page, limit: PAGE_SIZE, ...(type ? { type } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack gap="sm">
      <Select
        label="Change"
        w={200}
        clearable
        placeholder="Entries and exits"
        data={[
          { value: "segment_entered", label: "Entries" },
          { value: "segment_exited", label: "Exits" },
        ]}
        value={type}
        onChange={(value) => {
          setType(value as typeof type);
          setPage(1);
        }}
      />
      <DataTable
        caption="Segment history"
        columns={HISTORY_COLUMNS}
        rows={events.data?.rows}
        rowKey={(event) => String(event.event_id)}
        isLoading={events.isLoading}
        error={events.error}
        onRetry={() => void events.refetch()}
        page={page}
        pageSize={PAGE_SIZE}
        total={events.data?.total}
        onPageChange={setPage}
        empty={{ title: "No entries or exits yet", description: "Each time a lead enters or leaves this segment it is listed here, with the reason." }}
      />
    </Stack>
  );
}

function RulesSummary({ rules }: { rules: SavedRule[] }) {
  const groups = rulesToGroups(rules);
  if (groups.length === 0) return <Text c="dimmed">No rules yet.</Text>;
  return (
    <Stack gap="xs">
      {groups.map((group, index) => (
        <Stack key={group.key} gap={4}>
          {index > 0 && <Text size="xs" fw={700}>AND</Text>}
          <Text size="sm">
            {group.rules.map((rule, ruleIndex) => (
              <span key={rule.key}>
                {ruleIndex > 0 && <Text span fw={700}> {group.op.toLowerCase()} </Text>}
                {RULE_TYPE_LABELS[rule.rule_type]} {rule.field_name && <Code>{rule.field_name}</Code>}
                {rule.event_type && <> (on <Code>{rule.event_type}</Code>)</>} {OPERATOR_LABELS[rule.operator]} {takesValue(rule.operator) && <Code>{rule.value}</Code>}
              </span>
            ))}
          </Text>
        </Stack>
      ))}
    </Stack>
  );
}

/** The membership recompute's progress while one runs (after a rule change or an activation). */
function RecomputeProgress({ segment }: { segment: Segment }) {
  const queryClient = useQueryClient();
  const job = useJobProgress<Recompute>(segment.recomputing ? `/api/v1/segments/${segment.segment_id}/recompute` : null);
  const finished = isJobFinished(job.data);
  useEffect(() => {
    if (finished) void invalidatePaths(queryClient, ["/api/v1/segments"]);
  }, [finished, queryClient]);
  if (!segment.recomputing || !job.data) return null;
  const { leads_done, leads_total, status, error } = job.data;
  if (status === "failed") {
    return (
      <Alert color="red" title="Recompute failed">
        {error || "The membership could not be recomputed."}
      </Alert>
    );
  }
  return (
    <Stack gap={4}>
      <Text size="sm">
        Recomputing membership: {leads_done.toLocaleString()}
        {leads_total !== null ? ` of ${leads_total.toLocaleString()}` : ""} leads checked. Counts show the membership as it stands.
      </Text>
      <Progress value={job.data.progress * 100} animated aria-label="Recompute progress" />
    </Stack>
  );
}

async function downloadMembers(segment: Segment) {
  const { data, error, response } = await api.GET("/api/v1/segments/{segment_id}/leads/export", { params: { path: { segment_id: segment.segment_id } }, parseAs: "blob" });
  if (!response.ok || !(data instanceof Blob)) throw new Error(toFormError(error, response.status).message);
  const url = URL.createObjectURL(data);
  const link = document.createElement("a");
  link.href = url;
  link.download = `${segment.name.replace(/[^\w.-]+/g, "_") || segment.segment_id}.csv`;
  link.click();
  URL.revokeObjectURL(url);
}

function useSegment(segmentId: string) {
  const segments = useQuery({ queryKey: ["/api/v1/segments"], queryFn: () => unwrap(api.GET("/api/v1/segments")) });
  const rules = useQuery({
    queryKey: [`/api/v1/segments/${segmentId}/rules`],
    queryFn: () => unwrap(api.GET("/api/v1/segments/{segment_id}/rules", { params: { path: { segment_id: segmentId } } })),
  });
  return { segment: segments.data?.find((item) => item.segment_id === segmentId), rules, segments };
}

function Loading({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  if (!error) return <Loader aria-label="Loading segment" />;
  return (
    <Alert color="red" title="Could not load the segment">
      <Stack gap="xs" align="flex-start">
        {toFormError(error).message}
        <Button size="xs" variant="light" onClick={onRetry}>
          Try again
        </Button>
      </Stack>
    </Alert>
  );
}

function NotFound() {
  return (
    <Alert color="yellow" title="No such segment">
      It may have been deleted, or it belongs to another organizational unit. <Anchor component={Link} to="/segments">All segments</Anchor>
    </Alert>
  );
}

export function SegmentEditPage() {
  const { segmentId = "" } = useParams();
  const { segment, rules, segments } = useSegment(segmentId);
  if (segments.data && !segment) return <NotFound />;
  if (!segment || !rules.data) return <Loading error={segments.error ?? rules.error} onRetry={() => void Promise.all([segments.refetch(), rules.refetch()])} />;
  return (
    <>
      <PageHeader title={`Edit ${segment.name}`} description="Changing the rules of an active segment recomputes its members in the background." />
      <SegmentEditor segment={segment} savedRules={rules.data} />
    </>
  );
}

export function SegmentDetail() {
  const { segmentId = "" } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { segment, rules, segments } = useSegment(segmentId);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/segments/{segment_id}", { params: { path: { segment_id: segmentId } } })),
    onSuccess: async () => {
      await invalidatePaths(queryClient, ["/api/v1/segments"]);
      void navigate("/segments");
    },
  });
  const exportCsv = useMutation({ mutationFn: downloadMembers });
  if (segments.data && !segment) return <NotFound />;
  if (!segment) return <Loading error={segments.error} onRetry={() => void segments.refetch()} />;
  return (
    <>
      <PageHeader
        title={segment.name}
        description={
          <>
            <Text span fw={700} data-testid="segment-lead-count">
              {segment.lead_count.toLocaleString()}
            </Text>{" "}
            leads{segment.active ? "" : " (inactive)"}
            {segment.description ? ` · ${segment.description}` : ""}
          </>
        }
        actions={
          <>
            <Button variant="default" onClick={() => exportCsv.mutate(segment)} loading={exportCsv.isPending}>
              Export CSV
            </Button>
            <WriteButton variant="default" onClick={() => void navigate(`/segments/${segment.segment_id}/edit`)}>
              Edit
            </WriteButton>
            <WriteButton color="red" variant="light" onClick={() => setConfirmDelete(true)}>
              Delete
            </WriteButton>
          </>
        }
      />
      <Stack gap="md">
        {exportCsv.error && (
          <Alert color="red" title="Export failed">
            {toFormError(exportCsv.error).message}
          </Alert>
        )}
        <RecomputeProgress segment={segment} />
        <Tabs defaultValue="members" keepMounted={false}>
          <Tabs.List aria-label="Segment views">
            <Tabs.Tab value="members">Members</Tabs.Tab>
            <Tabs.Tab value="history">Entered / exited</Tabs.Tab>
            <Tabs.Tab value="rules">Rules</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="members" pt="md">
            <Members segment={segment} />
          </Tabs.Panel>
          <Tabs.Panel value="history" pt="md">
            <History segment={segment} />
          </Tabs.Panel>
          <Tabs.Panel value="rules" pt="md">
            {rules.data ? <RulesSummary rules={rules.data} /> : <Loading error={rules.error} onRetry={() => void rules.refetch()} />}
          </Tabs.Panel>
        </Tabs>
      </Stack>
      <ConfirmDialog
        opened={confirmDelete}
        title={`Delete ${segment.name}?`}
        confirmLabel="Delete segment"
        destructive
        loading={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setConfirmDelete(false)}
      >
        Its members and rules go with it; segment triggers on it stop firing.
        {remove.error ? <Text c="red">{toFormError(remove.error).message}</Text> : null}
      </ConfirmDialog>
    </>
  );
}
