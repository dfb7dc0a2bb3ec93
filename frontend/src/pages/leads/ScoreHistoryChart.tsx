import { Badge, Group, Paper, Stack, Text } from "@mantine/core";
import { memo, useMemo } from "react";
import { CartesianGrid, ComposedChart, Line, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";
import type { NameType, ValueType } from "recharts/types/component/DefaultTooltipContent";
import { formatDate, formatDateTime } from "../../components/time";
import { scoreHistoryChartData, type HistoryEvent, type HistoryPoint } from "./scoreHistory";

const SUPPRESSION_LABELS: Record<string, string> = {
  metadata_filter: "filtered by an attribute filter",
  inorganic: "inorganic (bot or burst)",
  inorganic_grouped: "part of a grouped burst",
  hidden_type: "hidden event type",
};

export function suppressionLabel(reason: string): string {
  return SUPPRESSION_LABELS[reason] ?? reason;
}

function signed(delta: number): string {
  return delta > 0 ? `+${delta}` : String(delta);
}

function PointTooltip({ active, payload }: TooltipContentProps<ValueType, NameType>) {
  const point = active ? (payload?.[0]?.payload as HistoryPoint | undefined) : undefined;
  if (!point) return null;
  return (
    <Paper withBorder shadow="sm" p="xs">
      <Text size="sm" fw={600}>
        {point.eventType} · {signed(point.delta)}
      </Text>
      <Text size="xs">Score after: {point.score.toLocaleString()}</Text>
      {point.suppressionReason && <Text size="xs" c="dimmed">Suppressed: {suppressionLabel(point.suppressionReason)}</Text>}
      <Text size="xs" c="dimmed">
        {formatDateTime(new Date(point.time))}
      </Text>
    </Paper>
  );
}

/**
 * The primary score after each event; decays and suppressed events as markers. Memoized: a
 * Recharts redraw costs a long task, and the lead page re-renders whenever one of its queries
 * answers.
 */
export const ScoreHistoryChart = memo(function ScoreHistoryChart({ events, currentScore, complete }: { events: readonly HistoryEvent[]; currentScore: number; complete: boolean }) {
  const data = useMemo(() => scoreHistoryChartData(events, currentScore), [events, currentScore]);
  if (data.eventCount === 0) {
    return (
      <Text c="dimmed" size="sm">
        No events yet: the history starts with the lead's first scored event.
      </Text>
    );
  }
  return (
    <Stack gap="xs">
      <Group gap="xs">
        <Badge variant="dot" color="indigo">
          Score
        </Badge>
        <Badge variant="dot" color="orange">
          Decay ({data.decays.length})
        </Badge>
        <Badge variant="dot" color="gray">
          Suppressed ({data.suppressed.length})
        </Badge>
        <Text size="xs" c="dimmed">
          {data.eventCount.toLocaleString()} events{data.line.length < data.eventCount ? `, drawn as ${data.line.length} points` : ""}
          {complete ? "" : " (loading older events…)"}
        </Text>
      </Group>
      <div role="img" aria-label={`Score history of ${data.eventCount} events, now ${currentScore}`} data-testid="score-history-chart" style={{ width: "100%", height: 260 }}>
        <ResponsiveContainer>
          <ComposedChart margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="time" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={(time: number) => formatDate(new Date(time))} />
            <YAxis dataKey="score" type="number" width={56} />
            <Tooltip content={PointTooltip} />
            <Line data={data.line} dataKey="score" type="stepAfter" stroke="var(--mantine-color-indigo-6)" dot={false} isAnimationActive={false} name="Score" />
            <Scatter data={data.decays} dataKey="score" fill="var(--mantine-color-orange-6)" isAnimationActive={false} name="Decay" />
            <Scatter data={data.suppressed} dataKey="score" fill="var(--mantine-color-gray-5)" isAnimationActive={false} name="Suppressed" />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </Stack>
  );
});
