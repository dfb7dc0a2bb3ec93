import { ActionIcon, Anchor, Button, Card, Group, NumberInput, SegmentedControl, Select, Stack, Switch, TagsInput, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useForm, type UseFormReturnType } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../../api/client";
import { toFormError, unwrap } from "../../api/errors";
import { invalidatePaths } from "../../api/queryClient";
import { FormErrorAlert } from "../../components/formErrors";
import { PageHeader } from "../../components/PageHeader";
import { WriteButton } from "../../components/WriteButton";
import { LIST_PATH, createTrigger, updateTrigger } from "./triggerApi";
import { EMPTY_FORM, KIND_INFO, formErrorsFromApi, formFromTrigger, isTriggerKind, triggerBody, type TriggerFormValues, type TriggerKind, type TriggerOutput } from "./triggerForm";
import { TriggerNotFound, useTrigger } from "./useTrigger";

type Form = UseFormReturnType<TriggerFormValues>;

const WINDOW_UNITS = [
  { value: "minutes", label: "minutes" },
  { value: "hours", label: "hours" },
  { value: "days", label: "days" },
  { value: "seconds", label: "seconds" },
];

function useEventTypeNames(): string[] {
  const types = useQuery({ queryKey: ["/api/v1/settings/event-types"], queryFn: () => unwrap(api.GET("/api/v1/settings/event-types")) });
  return (types.data ?? []).map((type) => type.event_type);
}

function WindowField({ form }: { form: Form }) {
  return (
    <Group align="flex-start" gap="xs">
      <NumberInput label="Within" min={1} allowDecimal={false} w={140} {...form.getInputProps("window_value")} />
      <Select label="Unit" data={WINDOW_UNITS} allowDeselect={false} w={140} {...form.getInputProps("window_unit")} />
    </Group>
  );
}

function FireModeFields({ form, what }: { form: Form; what: string }) {
  return (
    <Group align="flex-end" gap="md">
      <Stack gap={4}>
        <Text size="sm" fw={500} id="fire-mode-label">
          Fires
        </Text>
        <SegmentedControl
          aria-labelledby="fire-mode-label"
          data={[
            { value: "once", label: `Once per lead (first ${what})` },
            { value: "always", label: `Every ${what}` },
          ]}
          {...form.getInputProps("fire_mode")}
        />
      </Stack>
      {form.values.fire_mode === "always" && (
        <NumberInput label="Cooldown per lead (seconds)" min={0} allowDecimal={false} w={220} {...form.getInputProps("cooldown_seconds")} />
      )}
    </Group>
  );
}

function ConditionFields({ kind, form }: { kind: TriggerKind; form: Form }) {
  const eventTypes = useEventTypeNames();
  const segments = useQuery({ queryKey: ["/api/v1/segments"], queryFn: () => unwrap(api.GET("/api/v1/segments")), enabled: kind === "segment" });
  const anyEventType = (
    <Select label="Event type" placeholder="Any event type" description="Only events of this type count; empty: any." data={eventTypes} searchable clearable {...form.getInputProps("event_type")} value={form.values.event_type || null} onChange={(value) => form.setFieldValue("event_type", value ?? "")} />
  );
  switch (kind) {
    case "milestone":
      return (
        <>
          <NumberInput label="Score threshold" description="Fires when an event moves the lead's primary score from below to at or above this." required allowDecimal={false} {...form.getInputProps("score_threshold")} />
          {anyEventType}
          <FireModeFields form={form} what="crossing" />
        </>
      );
    case "sequence":
      return (
        <>
          <TagsInput label="Steps (event types)" description="1 to 20 event types; press Enter after each. A type may repeat." data={eventTypes} allowDuplicates required {...form.getInputProps("event_types")} />
          <Switch label="The steps must happen in this order" {...form.getInputProps("ordered", { type: "checkbox" })} />
          <WindowField form={form} />
          <FireModeFields form={form} what="completion" />
        </>
      );
    case "pattern":
      return (
        <>
          <Stack gap="xs">
            <Text size="sm" fw={500}>
              Conditions (all must hold within the window)
            </Text>
            {form.values.conditions.map((condition, index) => (
              <Group key={index} align="flex-start" gap="xs">
                <Select label={`Event type ${index + 1}`} data={eventTypes} searchable w={240} {...form.getInputProps(`conditions.${index}.event_type`)} value={condition.event_type || null} onChange={(value) => form.setFieldValue(`conditions.${index}.event_type`, value ?? "")} />
                <NumberInput label="At least" min={1} allowDecimal={false} w={110} {...form.getInputProps(`conditions.${index}.min_count`)} />
                {form.values.conditions.length > 1 && (
                  <ActionIcon mt={26} variant="subtle" color="gray" size="lg" aria-label={`Remove condition ${index + 1}`} onClick={() => form.removeListItem("conditions", index)}>
                    ✕
                  </ActionIcon>
                )}
              </Group>
            ))}
            {form.errors.conditions && <Text c="red" size="xs">{form.errors.conditions}</Text>}
            <Group>
              <Button size="xs" variant="light" onClick={() => form.insertListItem("conditions", { event_type: "", min_count: 1 })} disabled={form.values.conditions.length >= 20}>
                Add condition
              </Button>
            </Group>
          </Stack>
          <WindowField form={form} />
        </>
      );
    case "surge":
      return (
        <>
          <NumberInput label="Events" description="This many events within the window make a surge." required min={1} allowDecimal={false} {...form.getInputProps("threshold_count")} />
          {anyEventType}
          <WindowField form={form} />
        </>
      );
    case "segment":
      return (
        <>
          <Select
            label="Segment"
            required
            searchable
            placeholder={segments.data?.length === 0 ? "No segments yet: create one first" : "Pick a segment"}
            data={(segments.data ?? []).map((segment) => ({ value: segment.segment_id, label: segment.name }))}
            {...form.getInputProps("segment_id")}
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="segment-on-label">
              When a lead
            </Text>
            <SegmentedControl
              aria-labelledby="segment-on-label"
              data={[
                { value: "enter", label: "enters it" },
                { value: "exit", label: "leaves it" },
              ]}
              {...form.getInputProps("on")}
            />
          </Stack>
          <FireModeFields form={form} what={form.values.on === "exit" ? "exit" : "entry"} />
        </>
      );
  }
}

/** Slack channel and user pickers from the OU's connected workspace (the Slack proxy routes). */
function SlackFields({ form }: { form: Form }) {
  const status = useQuery({ queryKey: ["/api/v1/integrations/slack"], queryFn: () => unwrap(api.GET("/api/v1/integrations/slack")) });
  const connected = status.data?.connected ?? false;
  const kind = form.values.slack_target_kind;
  const channels = useQuery({
    queryKey: ["/api/v1/integrations/slack/channels"],
    queryFn: () => unwrap(api.GET("/api/v1/integrations/slack/channels", { params: { query: { limit: 1000 } } })),
    enabled: connected && kind === "channel",
  });
  const users = useQuery({
    queryKey: ["/api/v1/integrations/slack/users"],
    queryFn: () => unwrap(api.GET("/api/v1/integrations/slack/users", { params: { query: { limit: 1000 } } })),
    enabled: connected && kind === "user",
  });
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const options =
    kind === "channel"
      ? (channels.data?.channels ?? []).map((channel) => ({ value: text(channel.id), label: `#${text(channel.name)}` }))
      : (users.data?.members ?? []).filter((member) => !member.deleted && !member.is_bot).map((member) => ({ value: text(member.id), label: text(member.real_name) || text(member.name) }));
  const listing = kind === "channel" ? channels : users;
  const current = form.values.slack_target_id;
  const data = current && !options.some((option) => option.value === current) ? [...options, { value: current, label: current }] : options;
  if (status.isLoading) return <Text size="sm" c="dimmed">Checking the Slack connection…</Text>;
  if (!connected && !current) {
    return (
      <Text size="sm" c="dimmed">
        Slack is not connected for this unit. <Anchor component={Link} to="/settings">Connect it in Settings</Anchor> to post firings to a channel or a person.
      </Text>
    );
  }
  return (
    <Group align="flex-start" gap="xs">
      <Select
        label="Slack"
        w={150}
        data={[
          { value: "", label: "Off" },
          { value: "channel", label: "Channel" },
          { value: "user", label: "User" },
        ]}
        allowDeselect={false}
        value={kind}
        onChange={(value) => {
          form.setFieldValue("slack_target_kind", (value ?? "") as TriggerFormValues["slack_target_kind"]);
          form.setFieldValue("slack_target_id", "");
        }}
      />
      {kind && (
        <Select
          label={kind === "channel" ? "Slack channel" : "Slack user"}
          searchable
          w={280}
          data={data}
          placeholder={listing.isLoading ? "Loading…" : `Pick a ${kind}`}
          error={form.errors.slack_target_id ?? (listing.error ? toFormError(listing.error).message : undefined)}
          value={current || null}
          onChange={(value) => form.setFieldValue("slack_target_id", value ?? "")}
        />
      )}
    </Group>
  );
}

function DestinationFields({ form }: { form: Form }) {
  return (
    <Card withBorder padding="md">
      <Stack gap="sm">
        <Stack gap={0}>
          <Title order={4}>Destinations</Title>
          <Text size="sm" c="dimmed">
            Every firing is listed and streamed; add where else it is sent.
          </Text>
        </Stack>
        <TextInput label="Webhook URL" placeholder="https://hooks.example.com/leadvibe" description="A signed POST (Standard Webhooks) per firing." type="url" {...form.getInputProps("webhook_url")} />
        <TagsInput label="Email recipients" placeholder="name@example.com, Enter to add" description="Up to 50 addresses." maxTags={50} {...form.getInputProps("emails")} />
        {form.values.emails.length > 0 && (
          <>
            <TextInput label="Email subject" placeholder="Default subject" description="Django template syntax, e.g. {{ lead_id }}." {...form.getInputProps("email_subject")} />
            <Textarea label="Email message" placeholder="Default message" autosize minRows={2} {...form.getInputProps("email_message")} />
          </>
        )}
        <SlackFields form={form} />
        <TextInput label="Microsoft Teams incoming-webhook URL" placeholder="https://…webhook.office.com/…" type="url" {...form.getInputProps("teams_target_id")} />
      </Stack>
    </Card>
  );
}

function TriggerForm({ kind, trigger }: { kind: TriggerKind; trigger?: TriggerOutput }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = useForm<TriggerFormValues>({
    initialValues: trigger ? formFromTrigger(kind, trigger) : EMPTY_FORM,
    validate: {
      name: (value) => (value.trim() ? null : "Name the trigger."),
    },
  });
  const save = useMutation({
    mutationFn: (values: TriggerFormValues) => (trigger ? updateTrigger(trigger.trigger_id, triggerBody(kind, values)) : createTrigger(triggerBody(kind, values))),
    onSuccess: async (saved) => {
      await invalidatePaths(queryClient, [LIST_PATH[kind]]);
      void navigate(`/triggers/${kind}/${saved.trigger_id}`);
    },
    onError: (error) => form.setErrors(formErrorsFromApi(toFormError(error).fieldErrors)),
  });
  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack gap="md" maw={760}>
        <FormErrorAlert error={save.error} />
        <TextInput label="Name" required {...form.getInputProps("name")} />
        <Textarea label="Description" autosize minRows={1} {...form.getInputProps("description")} />
        <Switch label="Active (inactive triggers do not fire)" {...form.getInputProps("active", { type: "checkbox" })} />
        <Card withBorder padding="md">
          <Stack gap="sm">
            <Title order={4}>When it fires</Title>
            <ConditionFields kind={kind} form={form} />
          </Stack>
        </Card>
        <DestinationFields form={form} />
        <Group>
          <WriteButton type="submit" loading={save.isPending}>
            {trigger ? "Save trigger" : "Create trigger"}
          </WriteButton>
          <Button variant="default" component={Link} to={trigger ? `/triggers/${kind}/${trigger.trigger_id}` : "/triggers"}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function NewTriggerPage() {
  const { kind } = useParams();
  if (!isTriggerKind(kind)) return <TriggerNotFound />;
  return (
    <>
      <PageHeader title={`New ${KIND_INFO[kind].label.toLowerCase()} trigger`} description={KIND_INFO[kind].summary} />
      <TriggerForm kind={kind} />
    </>
  );
}

export function EditTriggerPage() {
  const { found, placeholder } = useTrigger();
  if (!found) return placeholder;
  const { kind, trigger } = found;
  return (
    <>
      <PageHeader title={`Edit ${trigger.name || trigger.trigger_id}`} description={KIND_INFO[kind].summary} />
      <TriggerForm kind={kind} trigger={trigger} />
    </>
  );
}
