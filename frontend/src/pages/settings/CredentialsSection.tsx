import { Code, Group, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import type { components } from "../../api/schema";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CopyOnce } from "../../components/CopyOnce";
import { DataTable, type Column } from "../../components/DataTable";
import { applyApiErrors, FormErrorAlert } from "../../components/formErrors";
import { RelativeTime } from "../../components/Time";
import { WriteButton } from "../../components/WriteButton";

type Credential = components["schemas"]["CredentialOutput"];
type CreatedCredential = components["schemas"]["CreatedOutput"];

export function CredentialsSection() {
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<CreatedCredential | null>(null);
  const [revoking, setRevoking] = useState<Credential | null>(null);
  const credentials = useQuery({
    queryKey: ["/api/v1/secrets"],
    queryFn: () => unwrap(api.GET("/api/v1/secrets")),
  });
  const form = useForm({ initialValues: { name: "" } });
  const create = useMutation({
    mutationFn: (body: { name: string }) => unwrap(api.POST("/api/v1/secrets", { body })),
    onSuccess: (credential) => {
      setCreated(credential);
      form.reset();
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/secrets"] });
    },
    onError: (error) => applyApiErrors(form, error),
  });
  const revoke = useMutation({
    mutationFn: (secretId: string) => unwrap(api.DELETE("/api/v1/secrets/{secret_id}", { params: { path: { secret_id: secretId } } })),
    onSuccess: () => {
      setRevoking(null);
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/secrets"] });
    },
  });

  const columns: Column<Credential>[] = [
    { key: "name", header: "Name", render: (credential) => credential.name },
    { key: "client_id", header: "Client ID", render: (credential) => <Code>{credential.client_id}</Code> },
    { key: "created_at", header: "Created", render: (credential) => <RelativeTime value={credential.created_at} /> },
    { key: "last_used_at", header: "Last used", render: (credential) => (credential.last_used_at ? <RelativeTime value={credential.last_used_at} /> : "Never") },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (credential) => (
        <WriteButton ability="manage" size="xs" color="red" variant="subtle" onClick={() => setRevoking(credential)} aria-label={`Revoke ${credential.name}`}>
          Revoke
        </WriteButton>
      ),
    },
  ];

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Servers send events with HTTP Basic auth (client ID and secret). A credential belongs to this OU; revoking it refuses its calls at once.
      </Text>
      {created && (
        <CopyOnce label={`Secret of “${created.name}” (client ID ${created.client_id})`} secret={created.client_secret} onDone={() => setCreated(null)} />
      )}
      <form onSubmit={form.onSubmit((values) => create.mutate(values))}>
        <Group align="flex-start">
          <TextInput label="New credential name" placeholder="e.g. Website tracker" required w={320} {...form.getInputProps("name")} />
          <WriteButton ability="manage" type="submit" mt={25} loading={create.isPending}>
            Create credential
          </WriteButton>
        </Group>
      </form>
      <FormErrorAlert error={create.error && Object.keys(form.errors).length === 0 ? create.error : null} />
      <DataTable
        caption="API credentials"
        columns={columns}
        rows={credentials.data}
        rowKey={(credential) => credential.secret_id}
        isLoading={credentials.isPending}
        error={credentials.error}
        onRetry={() => void credentials.refetch()}
        empty={{ title: "No API credentials yet", description: "Create one above for each system that sends events (website, CRM sync, …): its secret is shown once." }}
      />
      <ConfirmDialog
        opened={revoking !== null}
        title="Revoke this credential?"
        confirmLabel="Revoke"
        destructive
        loading={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking.secret_id)}
      >
        Calls signed with “{revoking?.name}” ({revoking?.client_id}) will be refused from now on. This cannot be undone.
        <FormErrorAlert error={revoke.error} />
      </ConfirmDialog>
    </Stack>
  );
}
