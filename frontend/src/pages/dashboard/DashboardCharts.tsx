import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDate } from "../../components/time";
import type { DayCount } from "./aggregates";

const weekday = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric" });

export function EventsPerDayChart({ days }: { days: readonly DayCount[] }) {
  const data = days.map((day) => ({ label: weekday.format(day.day), date: formatDate(day.day), count: day.count }));
  const total = days.reduce((sum, day) => sum + day.count, 0);
  return (
    <div role="img" aria-label={`Events per day over the last ${days.length} days: ${total} in all`} style={{ width: "100%", height: 220 }}>
      <ResponsiveContainer>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={12} />
          <YAxis allowDecimals={false} width={48} fontSize={12} />
          <Tooltip labelFormatter={(_, payload) => String(payload?.[0]?.payload?.date ?? "")} formatter={(value) => [Number(value).toLocaleString(), "Events"]} />
          <Bar dataKey="count" fill="var(--mantine-color-indigo-6)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function ScoreDistributionChart({ buckets }: { buckets: readonly { label: string; count: number }[] }) {
  return (
    <div role="img" aria-label={`Leads per score band: ${buckets.map((bucket) => `${bucket.label}: ${bucket.count}`).join(", ")}`} style={{ width: "100%", height: 220 }}>
      <ResponsiveContainer>
        <BarChart data={[...buckets]} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={12} />
          <YAxis allowDecimals={false} width={48} fontSize={12} />
          <Tooltip formatter={(value) => [Number(value).toLocaleString(), "Leads"]} />
          <Bar dataKey="count" fill="var(--mantine-color-teal-6)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
