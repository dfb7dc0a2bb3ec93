/** The page areas, in the order of the navigation. Each has its folder under src/pages/. */
export const NAV_ITEMS = [
  { path: "/dashboard", label: "Dashboard" },
  { path: "/leads", label: "Leads" },
  { path: "/scoring", label: "Scoring" },
  { path: "/segments", label: "Segments" },
  { path: "/triggers", label: "Triggers" },
  { path: "/data", label: "Data" },
  { path: "/settings", label: "Settings" },
] as const;
