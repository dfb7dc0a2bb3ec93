import { Alert, Anchor, Button, Loader, Stack } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, useParams } from "react-router";
import { toFormError } from "../../api/errors";
import { LIST_PATH, listTriggers } from "./triggerApi";
import { isTriggerKind, type TriggerKind, type TriggerOutput } from "./triggerForm";

export function TriggerNotFound() {
  return (
    <Alert color="yellow" title="No such trigger">
      It may have been deleted, or it belongs to another organizational unit. <Anchor component={Link} to="/triggers">All triggers</Anchor>
    </Alert>
  );
}

/** The trigger of the address (`/triggers/:kind/:triggerId`), or what to show instead. */
export function useTrigger(): { found: { kind: TriggerKind; trigger: TriggerOutput }; placeholder?: undefined } | { found?: undefined; placeholder: ReactNode } {
  const { kind, triggerId } = useParams();
  const validKind = isTriggerKind(kind) ? kind : "milestone";
  // The API has no single-trigger read: the kind's list holds it.
  const triggers = useQuery({ queryKey: [LIST_PATH[validKind]], queryFn: () => listTriggers(validKind), enabled: isTriggerKind(kind) });
  if (!isTriggerKind(kind)) return { placeholder: <TriggerNotFound /> };
  if (triggers.error) {
    return {
      placeholder: (
        <Alert color="red" title="Could not load the trigger">
          <Stack gap="xs" align="flex-start">
            {toFormError(triggers.error).message}
            <Button size="xs" variant="light" onClick={() => void triggers.refetch()}>
              Try again
            </Button>
          </Stack>
        </Alert>
      ),
    };
  }
  if (!triggers.data) return { placeholder: <Loader aria-label="Loading trigger" /> };
  const trigger = triggers.data.find((item) => item.trigger_id === triggerId);
  return trigger ? { found: { kind, trigger } } : { placeholder: <TriggerNotFound /> };
}
