import { Tooltip } from "@mantine/core";
import { formatDateTime, formatRelative, userTimeZone } from "./time";

/** A relative time ("5 minutes ago") with the exact local time on hover. */
export function RelativeTime({ value }: { value: string | null | undefined }) {
  if (!value) return <span>—</span>;
  return (
    <Tooltip label={`${formatDateTime(value)} (${userTimeZone})`}>
      <time dateTime={value}>{formatRelative(value)}</time>
    </Tooltip>
  );
}
