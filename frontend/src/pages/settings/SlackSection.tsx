import { Alert, Badge, Card, Group, PasswordInput, SegmentedControl, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import type { components } from "../../api/schema";
import { useCan } from "../../auth/SessionContext";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { applyApiErrors, FormErrorAlert } from "../../components/formErrors";
import { RelativeTime } from "../../components/Time";
import { WriteButton } from "../../components/WriteButton";
import { channelOptions, userOptions } from "./slackOptions";

type SlackAppInput = components["schemas"]["SlackAppInputRequest"];
type TargetKind = components["schemas"]["SlackTargetKindEnum"];

function SlackApp() {
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const app = useQuery({ queryKey: ["/api/v1/settings/slack-app"], queryFn: () => unwrap(api.GET("/api/v1/settings/slack-app")) });
  const form = useForm<SlackAppInput>({ initialValues: { client_id: "", client_secret: "" } });
  const save = useMutation({
    mutationFn: (body: SlackAppInput) => unwrap(api.PUT("/api/v1/settings/slack-app", { body })),
    onSuccess: (saved) => {
      form.reset();
      queryClient.setQueryData(["/api/v1/settings/slack-app"], saved);
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/integrations/slack"] });
    },
    onError: (error) => applyApiErrors(form, error),
  });
  return (
    <Card withBorder padding="lg">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3}>Slack app (organization)</Title>
          {app.data && <Badge color={app.data.configured ? "teal" : "gray"}>{app.data.configured ? "Configured" : "Not configured"}</Badge>}
        </Group>
        <Text size="sm" c="dimmed">
          The Slack app every OU installs into its workspace: its client ID and secret from api.slack.com/apps. They are write-only here.
        </Text>
        <FormErrorAlert error={app.error} />
        {isAdmin && (
          <form onSubmit={form.onSubmit((values) => save.mutate(values))}>
            <Stack gap="sm" maw={520}>
              <TextInput label="Client ID" required autoComplete="off" {...form.getInputProps("client_id")} />
              <PasswordInput label="Client secret" required autoComplete="off" {...form.getInputProps("client_secret")} />
              <FormErrorAlert error={save.error && Object.keys(form.errors).length === 0 ? save.error : null} />
              <Group>
                <WriteButton ability="admin" type="submit" loading={save.isPending}>
                  {app.data?.configured ? "Replace app credentials" : "Save app credentials"}
                </WriteButton>
              </Group>
            </Stack>
          </form>
        )}
      </Stack>
    </Card>
  );
}

function DefaultTarget({ kind: savedKind, id: savedId }: { kind: TargetKind | null; id: string | null }) {
  const queryClient = useQueryClient();
  const canWrite = useCan("write");
  const [kind, setKind] = useState<TargetKind>(savedKind ?? "channel");
  const [targetId, setTargetId] = useState<string | null>(savedId);
  const channels = useQuery({
    queryKey: ["/api/v1/integrations/slack/channels"],
    queryFn: () => unwrap(api.GET("/api/v1/integrations/slack/channels", { params: { query: { limit: 1000 } } })),
    enabled: canWrite && kind === "channel",
  });
  const users = useQuery({
    queryKey: ["/api/v1/integrations/slack/users"],
    queryFn: () => unwrap(api.GET("/api/v1/integrations/slack/users", { params: { query: { limit: 1000 } } })),
    enabled: canWrite && kind === "user",
  });
  const save = useMutation({
    mutationFn: (body: { kind: TargetKind; id: string }) => unwrap(api.PUT("/api/v1/integrations/slack/default-target", { body })),
    onSuccess: (status) => queryClient.setQueryData(["/api/v1/integrations/slack"], status),
  });
  const test = useMutation({
    mutationFn: (body: { kind: TargetKind; id: string }) => unwrap(api.POST("/api/v1/integrations/slack/test", { body })),
  });
  if (!canWrite) {
    return <Text size="sm">Default target: {savedId ? `${savedKind} ${savedId}` : "none"}</Text>;
  }
  const options = kind === "channel" ? channelOptions(channels.data?.channels ?? []) : userOptions(users.data?.members ?? []);
  const loading = kind === "channel" ? channels.isPending : users.isPending;
  const listError = kind === "channel" ? channels.error : users.error;
  const target = targetId ? { kind, id: targetId } : null;
  return (
    <Stack gap="sm">
      <Text fw={600} size="sm">
        Default target for notifications
      </Text>
      <SegmentedControl
        aria-label="Target kind"
        data={[
          { value: "channel", label: "Channel" },
          { value: "user", label: "Person (DM)" },
        ]}
        value={kind}
        onChange={(value) => {
          setKind(value as TargetKind);
          setTargetId(null);
        }}
        w={260}
      />
      <Group align="flex-end">
        <Select label={kind === "channel" ? "Channel" : "Person"} placeholder={loading ? "Loading from Slack…" : "Choose"} data={options} value={targetId} onChange={setTargetId} searchable w={320} nothingFoundMessage="Nothing found" />
        <WriteButton onClick={() => target && save.mutate(target)} disabled={!target} loading={save.isPending}>
          Save default
        </WriteButton>
        <WriteButton variant="default" onClick={() => target && test.mutate(target)} disabled={!target} loading={test.isPending}>
          Send a test message
        </WriteButton>
      </Group>
      <FormErrorAlert error={listError ?? save.error ?? test.error} />
      {save.isSuccess && <Text size="sm" c="teal" role="status">Default target saved.</Text>}
      {test.data && <Text size="sm" c="teal" role="status">{test.data.message}</Text>}
    </Stack>
  );
}

function SlackConnection() {
  const queryClient = useQueryClient();
  const [searchParams] = useSearchParams();
  const [disconnecting, setDisconnecting] = useState(false);
  const status = useQuery({ queryKey: ["/api/v1/integrations/slack"], queryFn: () => unwrap(api.GET("/api/v1/integrations/slack")) });
  const install = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/integrations/slack/install")),
    onSuccess: ({ authorize_url: url }) => window.location.assign(url),
  });
  const disconnect = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/integrations/slack")),
    onSuccess: () => {
      setDisconnecting(false);
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/integrations/slack"] });
    },
  });
  const outcome = searchParams.get("slack");
  const connection = status.data;
  return (
    <Card withBorder padding="lg">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3}>Slack workspace (this OU)</Title>
          {connection && <Badge color={connection.connected ? "teal" : "gray"}>{connection.connected ? "Connected" : "Not connected"}</Badge>}
        </Group>
        {outcome === "connected" && <Alert color="teal" title="Slack connected" />}
        {outcome === "error" && <Alert color="red" title="Slack was not connected">Slack answered: {searchParams.get("reason") ?? "unknown error"}.</Alert>}
        <FormErrorAlert error={status.error ?? install.error} />
        {connection && !connection.connected && (
          <>
            <Text size="sm" c="dimmed">
              Connect a workspace to send trigger notifications to its channels and people. You will approve the app in Slack and come back here.
            </Text>
            <Group>
              <WriteButton onClick={() => install.mutate()} loading={install.isPending}>
                Connect Slack
              </WriteButton>
            </Group>
          </>
        )}
        {connection?.connected && (
          <>
            <Text size="sm">
              Workspace <b>{connection.team_name ?? connection.team_id}</b>, connected <RelativeTime value={connection.updated_at} />.
            </Text>
            <DefaultTarget key={`${connection.default_target_kind ?? ""}:${connection.default_target_id ?? ""}`} kind={connection.default_target_kind} id={connection.default_target_id} />
            <Group>
              <WriteButton color="red" variant="light" onClick={() => setDisconnecting(true)}>
                Disconnect
              </WriteButton>
            </Group>
          </>
        )}
      </Stack>
      <ConfirmDialog
        opened={disconnecting}
        title="Disconnect Slack?"
        confirmLabel="Disconnect"
        destructive
        loading={disconnect.isPending}
        onCancel={() => setDisconnecting(false)}
        onConfirm={() => disconnect.mutate()}
      >
        Triggers of this OU stop posting to Slack until a workspace is connected again.
        <FormErrorAlert error={disconnect.error} />
      </ConfirmDialog>
    </Card>
  );
}

export function SlackSection() {
  return (
    <Stack gap="md" maw={900}>
      <SlackConnection />
      <SlackApp />
    </Stack>
  );
}
