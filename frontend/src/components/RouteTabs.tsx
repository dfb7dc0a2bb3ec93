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
export function RouteTabs({ base, tabs, label }: { base: string; tabs: readonly RouteTab[]; label: string }) {
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const rest = pathname.slice(base.length).replace(/^\//, "");
  const current = tabs.find((tab) => tab.path !== "" && (rest === tab.path || rest.startsWith(`${tab.path}/`)))?.path ?? "";
  return (
    <Tabs value={current} onChange={(value) => navigate(value ? `${base}/${value}` : base)} mb="md">
      <Tabs.List aria-label={label}>
        {tabs.map((tab) => (
          <Tabs.Tab key={tab.path} value={tab.path}>
            {tab.label}
          </Tabs.Tab>
        ))}
      </Tabs.List>
    </Tabs>
  );
}
