import { Tabs } from "@mantine/core";
import { useLocation, useNavigate } from "react-router";

export interface RouteTab {
  /** Relative to the page area ("" for its index). */
  path: string;
  label: string;
}

/**
 * A page area's sub-routes as tabs (arrow keys move between them): the address says which tab
 * is open, so each can be linked and survives a reload. `base`: the area's own path ("/data").
 */
/** Mantine's tabs need a non-empty value: the index tab's. */
const INDEX_TAB = "index";

export function RouteTabs({ base, tabs, label }: { base: string; tabs: readonly RouteTab[]; label: string }) {
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const rest = pathname.slice(base.length).replace(/^\//, "");
  const current = tabs.find((tab) => tab.path !== "" && (rest === tab.path || rest.startsWith(`${tab.path}/`)))?.path ?? "";
  const valueOf = (path: string) => path || INDEX_TAB;
  return (
    <Tabs value={valueOf(current)} onChange={(value) => navigate(value && value !== INDEX_TAB ? `${base}/${value}` : base)} mb="md">
      <Tabs.List aria-label={label}>
        {tabs.map((tab) => (
          <Tabs.Tab key={tab.path} value={valueOf(tab.path)}>
            {tab.label}
          </Tabs.Tab>
        ))}
      </Tabs.List>
    </Tabs>
  );
}
