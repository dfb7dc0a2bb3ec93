/** Engagement levels (OU-wide score bands) and their badge; the dashboard uses them too. */
import { Badge } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";

// Shade 9 of each (the light variant's text, theme.ts) meets 4.5:1 on its tint; yellow and orange do not.
const LEVEL_COLORS = ["blue", "teal", "violet", "red", "grape", "pink"] as const;

export function useEngagementLevels() {
  return useQuery({
    queryKey: ["/api/v1/levels/engagement"],
    queryFn: async () => {
      const levels = await unwrap(api.GET("/api/v1/levels/engagement"));
      return [...levels].sort((a, b) => a.min_score - b.min_score);
    },
    staleTime: 5 * 60_000,
  });
}

/** Colder levels cool colours, hotter ones warm: the colour follows the level's rank. */
export function levelColor(level: string | null | undefined, levelNames: readonly string[]): string {
  const rank = level ? levelNames.indexOf(level) : -1;
  return rank < 0 ? "gray" : (LEVEL_COLORS[Math.min(rank, LEVEL_COLORS.length - 1)] ?? "gray");
}

export function LevelBadge({ level, levelNames }: { level: string | null | undefined; levelNames: readonly string[] }) {
  if (!level) return <Badge color="gray" variant="light">No level</Badge>;
  return (
    <Badge color={levelColor(level, levelNames)} variant="light">
      {level}
    </Badge>
  );
}
