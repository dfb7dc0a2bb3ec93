import { Card, SimpleGrid, Skeleton, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { useSession } from "../../auth/SessionContext";
import { FormErrorAlert } from "../../components/formErrors";
import { formatDate } from "../../components/time";

/** Counters the API reports; `events_ingested` only once there are events. */
const COUNTERS = [
  { key: "api_requests", label: "API requests" },
  { key: "events_ingested", label: "Events ingested" },
] as const;

function Counter({ label, value }: { label: string; value: number | undefined }) {
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz={28} fw={700}>
        {value === undefined ? "0" : value.toLocaleString()}
      </Text>
    </Card>
  );
}

export function UsageSection() {
  const { activeOu, organization } = useSession();
  const usage = useQuery({ queryKey: ["/api/v1/usage"], queryFn: () => unwrap(api.GET("/api/v1/usage")) });
  if (usage.error) return <FormErrorAlert error={usage.error} />;
  if (!usage.data) return <Skeleton height={160} />;
  const { period, org, ou } = usage.data;
  const scopes = [
    { title: `${organization?.name ?? "Organization"} (all OUs)`, counts: org as Record<string, unknown> },
    ...(ou ? [{ title: activeOu?.name ?? "This OU", counts: ou as Record<string, unknown> }] : []),
  ];
  return (
    <Stack gap="lg" maw={900}>
      <Text size="sm" c="dimmed">
        This month, {formatDate(period.start)} to {formatDate(period.end)}.
      </Text>
      {scopes.map((scope) => (
        <Stack key={scope.title} gap="xs">
          <Title order={3}>{scope.title}</Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {COUNTERS.map((counter) => {
              const value = scope.counts[counter.key];
              return <Counter key={counter.key} label={counter.label} value={typeof value === "number" ? value : undefined} />;
            })}
          </SimpleGrid>
        </Stack>
      ))}
    </Stack>
  );
}
