/** The Settings sections and who sees each: the role the API needs to read it. */
import type { Ability } from "../../auth/SessionContext";

export interface SettingsSection {
  path: string;
  label: string;
  /** Hidden from members without it (the API would refuse them). */
  ability: Ability;
}

export const SECTIONS: readonly SettingsSection[] = [
  { path: "credentials", label: "API credentials", ability: "manage" },
  { path: "members", label: "Members", ability: "read" },
  { path: "webhooks", label: "Webhook signing", ability: "write" },
  { path: "slack", label: "Slack", ability: "read" },
  { path: "rate-limit", label: "Rate limit", ability: "admin" },
  { path: "usage", label: "Usage", ability: "read" },
  { path: "audit", label: "Audit log", ability: "manage" },
];

export function visibleSections(can: (ability: Ability) => boolean): SettingsSection[] {
  return SECTIONS.filter((section) => can(section.ability));
}
