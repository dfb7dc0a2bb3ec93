import { Card, Group, List, NumberInput, Select, Stack, Text, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { applyApiErrors, FormErrorAlert } from "../../components/formErrors";
import { WriteButton } from "../../components/WriteButton";
import { DEFAULT, KEYS, MODES, toPolicy, toPolicyForm, type Policy, type PolicyForm } from "./rateLimitForm";

function EffectivePolicy() {
  const mine = useQuery({ queryKey: ["/api/v1/me/rate-limit"], queryFn: () => unwrap(api.GET("/api/v1/me/rate-limit")) });
  if (mine.error) return <FormErrorAlert error={mine.error} />;
  if (!mine.data) return null;
  const policy = mine.data;
  return (
    <List size="sm" spacing={4}>
      <List.Item>
        In force: <b>{policy.mode}</b> ({policy.stage === "org" ? "this organization’s policy" : "the default policy"})
      </List.Item>
      <List.Item>
        {policy.rps.toLocaleString()} requests per second, bursts of {policy.burst.toLocaleString()}, counted per {policy.key_by}
      </List.Item>
    </List>
  );
}

export function RateLimitSection() {
  const queryClient = useQueryClient();
  const saved = useQuery({ queryKey: ["/api/v1/settings/rate-limit"], queryFn: () => unwrap(api.GET("/api/v1/settings/rate-limit")) });
  const form = useForm<PolicyForm>({ initialValues: { mode: DEFAULT, key_by: DEFAULT, rps: "", burst: "" } });
  const { setValues, resetDirty } = form;
  useEffect(() => {
    if (!saved.data) return;
    setValues(toPolicyForm(saved.data));
    resetDirty(toPolicyForm(saved.data));
    // Only a new answer from the API resets the form, not a re-render.
  }, [saved.data]); // setValues and resetDirty: the same form
  const save = useMutation({
    mutationFn: (body: Policy) => unwrap(api.PUT("/api/v1/settings/rate-limit", { body })),
    onSuccess: (policy) => {
      queryClient.setQueryData(["/api/v1/settings/rate-limit"], policy);
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/me/rate-limit"] });
    },
    onError: (error) => applyApiErrors(form, error),
  });

  return (
    <Stack gap="md" maw={720}>
      <Card withBorder padding="lg">
        <Stack gap="xs">
          <Title order={3}>In force now</Title>
          <EffectivePolicy />
        </Stack>
      </Card>
      <Card withBorder padding="lg">
        <form onSubmit={form.onSubmit((values) => save.mutate(toPolicy(values)))}>
          <Stack gap="sm">
            <Title order={3}>Organization policy</Title>
            <Text size="sm" c="dimmed">
              A token bucket per key: refills at the rate, holds up to the burst. Leave a field empty to use the default. Org admins are never limited here.
            </Text>
            <FormErrorAlert error={saved.error} />
            <Select label="Mode" data={MODES} allowDeselect={false} {...form.getInputProps("mode")} />
            <Select label="Count requests" data={KEYS} allowDeselect={false} {...form.getInputProps("key_by")} />
            <Group grow>
              <NumberInput label="Requests per second" placeholder="Default" min={0} decimalScale={3} {...form.getInputProps("rps")} />
              <NumberInput label="Burst" placeholder="Default" min={0} allowDecimal={false} {...form.getInputProps("burst")} />
            </Group>
            <FormErrorAlert error={save.error && Object.keys(form.errors).length === 0 ? save.error : null} />
            {save.isSuccess && !form.isDirty() && <Text size="sm" c="teal" role="status">Saved.</Text>}
            <Group>
              <WriteButton ability="admin" type="submit" loading={save.isPending} disabled={saved.isPending}>
                Save policy
              </WriteButton>
            </Group>
          </Stack>
        </form>
      </Card>
    </Stack>
  );
}
