import { Alert } from "@mantine/core";
import { toFormError } from "../api/errors";

/** Shows an API error's field messages at the fields of a Mantine form; returns the rest. */
export function applyApiErrors(
  form: { setErrors: (errors: Record<string, string>) => void },
  error: unknown,
): string {
  const { message, fieldErrors } = toFormError(error);
  form.setErrors(fieldErrors);
  return message;
}

/** The message of a failed submission above the form (field messages show at the fields). */
export function FormErrorAlert({ error, title = "Not saved" }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" role="alert" title={title}>
      {toFormError(error).message}
    </Alert>
  );
}
