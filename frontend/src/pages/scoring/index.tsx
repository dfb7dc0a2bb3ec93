/**
 * Scoring: one tab per concern, each its own sub-route (`/scoring/<tab>`) so a link or a
 * reload lands on the same tab. Every tab reads and writes its own API resource.
 */
import { Tabs } from "@mantine/core";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { DecayTab } from "./DecayTab";
import { EventTypesTab } from "./EventTypesTab";
import { FiltersTab } from "./FiltersTab";
import { LevelsTab } from "./LevelsTab";
import { RulesetsTab } from "./RulesetsTab";
import { SurgeTab } from "./SurgeTab";

const TABS = [
  { path: "rulesets", label: "Rulesets & rules", element: <RulesetsTab /> },
  { path: "decay", label: "Decay", element: <DecayTab /> },
  { path: "filters", label: "Filters", element: <FiltersTab /> },
  { path: "surge", label: "Surge policy", element: <SurgeTab /> },
  { path: "levels", label: "Levels", element: <LevelsTab /> },
  { path: "event-types", label: "Event types", element: <EventTypesTab /> },
] as const;

export default function ScoringPage() {
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const active = TABS.find((tab) => pathname.split("/").includes(tab.path))?.path ?? TABS[0].path;

  return (
    <>
      <PageHeader title="Scoring" description="How events become scores: rulesets and rules, decay, filters, surge policy, levels and event types." />
      <Tabs value={active} onChange={(value) => value && navigate(`/scoring/${value}`)} keepMounted={false} mb="md">
        <Tabs.List>
          {TABS.map((tab) => (
            <Tabs.Tab key={tab.path} value={tab.path}>
              {tab.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Routes>
                {TABS.map((tab) => (
          <Route key={tab.path} path={`${tab.path}/*`} element={tab.element} />
        ))}
        <Route path="*" element={<Navigate to={`/scoring/${TABS[0].path}`} replace />} />
      </Routes>
    </>
  );
}
