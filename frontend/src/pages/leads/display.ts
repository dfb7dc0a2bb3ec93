/** How a lead is named on screen: a person's name or email from its metadata, else its id. */
const NAME_KEYS = ["name", "full_name", "email", "company"] as const;

export function leadDisplayName(metadata: Record<string, unknown> | undefined, id: string): string {
  if (metadata) {
    const first = typeof metadata.first_name === "string" ? metadata.first_name : "";
    const last = typeof metadata.last_name === "string" ? metadata.last_name : "";
    if (first || last) return `${first} ${last}`.trim();
    for (const key of NAME_KEYS) {
      const value = metadata[key];
      if (typeof value === "string" && value.trim()) return value.trim();
    }
  }
  return id;
}
