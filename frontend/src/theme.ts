import { Anchor, createTheme, type CSSVariablesResolver } from "@mantine/core";

export const theme = createTheme({
  primaryColor: "violet",
  defaultRadius: "md",
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  components: {
    // A link inside text must stand out by more than its colour (axe: link-in-text-block).
    Anchor: Anchor.extend({ defaultProps: { underline: "always" } }),
  },
});

/**
 * Mantine's dimmed text (gray 6) is 3.3:1 on white; gray 7 meets WCAG AA's 4.5:1. The text of
 * "light" variants (badges, alerts) is shade 6 on a pale tint, under 4.5:1 for the warm
 * colours: shade 9 meets it for every colour.
 */
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => ({
  variables: {},
  light: {
    "--mantine-color-dimmed": "var(--mantine-color-gray-7)",
    ...Object.fromEntries(
      Object.keys(resolved.colors).map((name) => [`--mantine-color-${name}-light-color`, `var(--mantine-color-${name}-9)`]),
    ),
  },
  dark: {},
});
