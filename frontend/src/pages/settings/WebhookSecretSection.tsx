import { Alert, Group, List, Stack, Text } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CopyOnce } from "../../components/CopyOnce";
import { FormErrorAlert } from "../../components/formErrors";
import { RelativeTime } from "../../components/Time";
import { formatDateTime } from "../../components/time";
import { WriteButton } from "../../components/WriteButton";

export function WebhookSecretSection() {
  // The API shows the secret in one answer only: keep it here until the user is done with it.
  const [shownSecret, setShownSecret] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const secret = useQuery({
    queryKey: ["/api/v1/settings/webhook-secret"],
    queryFn: () => unwrap(api.GET("/api/v1/settings/webhook-secret")),
    staleTime: Infinity,
  });
  useEffect(() => {
    if (secret.data?.secret) setShownSecret(secret.data.secret);
  }, [secret.data?.secret]);
  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/settings/webhook-secret/rotate")),
    onSuccess: (rotated) => {
      setConfirming(false);
      setShownSecret(rotated.secret);
      secret.refetch().catch(() => undefined);
    },
  });
  const state = rotate.data ?? secret.data;

  return (
    <Stack gap="md" maw={820}>
      <Text size="sm" c="dimmed">
        Trigger webhooks are signed per Standard Webhooks: <code>webhook-signature: v1,&lt;base64 HMAC-SHA256&gt;</code> over{" "}
        <code>webhook-id.webhook-timestamp.body</code> with this OU’s secret. Receivers verify it to know a call came from Leadvibe.
      </Text>
      {secret.error && <FormErrorAlert error={secret.error} />}
      {shownSecret && <CopyOnce label="Webhook signing secret" secret={shownSecret} onDone={() => setShownSecret(null)} />}
      {state && (
        <List size="sm" spacing={4}>
          <List.Item>
            Created <RelativeTime value={state.created_at} />
          </List.Item>
          <List.Item>{state.revealed_at ? <>Shown <RelativeTime value={state.revealed_at} /> (it is not shown again)</> : "Not shown yet"}</List.Item>
          <List.Item>{state.rotated_at ? <>Last rotated <RelativeTime value={state.rotated_at} /></> : "Never rotated"}</List.Item>
        </List>
      )}
      {state?.previous_expires_at && (
        <Alert color="blue" title="Rotation in progress">
          Until {formatDateTime(state.previous_expires_at)} each webhook carries a signature by the previous secret too, so receivers can switch without missing a delivery.
        </Alert>
      )}
      <Group>
        <WriteButton color="orange" onClick={() => setConfirming(true)} disabled={secret.isPending}>
          Rotate secret
        </WriteButton>
      </Group>
      <ConfirmDialog
        opened={confirming}
        title="Rotate the webhook signing secret?"
        confirmLabel="Rotate"
        destructive
        loading={rotate.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => rotate.mutate()}
      >
        A new secret is shown once. The current one keeps signing for a while alongside it; update your receivers before it expires.
        <FormErrorAlert error={rotate.error} />
      </ConfirmDialog>
    </Stack>
  );
}
