/**
 * Slack's own objects, as the proxy routes pass them on (untyped in the schema), turned into
 * picker options: channels as "#name", people by their display or real name.
 */

export interface PickerOption {
  value: string;
  label: string;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export function channelOptions(channels: readonly Record<string, unknown>[]): PickerOption[] {
  return channels.flatMap((channel) => {
    const id = text(channel.id);
    if (!id || channel.is_archived === true) return [];
    const name = text(channel.name);
    return [{ value: id, label: name ? `#${name}` : id }];
  });
}

export function userOptions(members: readonly Record<string, unknown>[]): PickerOption[] {
  return members.flatMap((member) => {
    const id = text(member.id);
    if (!id || member.deleted === true || member.is_bot === true) return [];
    const profile = (member.profile ?? {}) as Record<string, unknown>;
    const name = text(profile.display_name) ?? text(member.real_name) ?? text(profile.real_name) ?? text(member.name) ?? id;
    return [{ value: id, label: name }];
  });
}
