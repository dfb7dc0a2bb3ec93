/** Small pieces every scoring tab uses: schema types, cache refresh after a save, a form modal. */
import { Button, Group, Modal, Stack } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState, type FormEvent, type ReactNode } from "react";
import type { components } from "../../api/schema";
import { invalidatePaths } from "../../api/queryClient";
import { toFormError } from "../../api/errors";
import { FormErrorAlert } from "../../components/formErrors";

export type Schemas = components["schemas"];

/** After a change: refetch what reads these API paths and say what happened. */
export function useAfterChange() {
  const queryClient = useQueryClient();
  return useCallback(
    async (paths: readonly string[], message: string) => {
      await invalidatePaths(queryClient, paths);
      notifications.show({ color: "teal", message });
    },
    [queryClient],
  );
}

/** A failed change outside a form (toggle, delete): its message as a notification. */
export function notifyFailure(title: string, error: unknown): void {
  notifications.show({ color: "red", title, message: toFormError(error).message });
}

/**
 * A modal holding one form: the submission's general message above the fields (field
 * messages show at the fields), Cancel and a submit button.
 */
export function FormModal({
  opened,
  title,
  submitLabel,
  onClose,
  onSubmit,
  submitting,
  failure,
  children,
}: {
  opened: boolean;
  title: string;
  submitLabel: string;
  onClose: () => void;
  onSubmit: (event?: FormEvent<HTMLFormElement>) => void;
  submitting: boolean;
  failure: unknown;
  children: ReactNode;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered size="lg">
      <form onSubmit={onSubmit} noValidate>
        <Stack>
          <FormErrorAlert error={failure} />
          {children}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={submitting}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Which item a modal edits: `null` closed, `"new"` a new one, or the item. */
export type Editing<Item> = null | "new" | Item;

export function useEditing<Item>() {
  const [editing, setEditing] = useState<Editing<Item>>(null);
  return { editing, setEditing, close: () => setEditing(null) };
}
