import { lazy } from "react";
import { createBrowserRouter, Navigate } from "react-router";
import { AppLayout } from "./shell/AppLayout";
import { RequireSession } from "./shell/RequireSession";

// Each page area is its own chunk: the first load carries only the shell.
const SignInPage = lazy(() => import("./pages/signin"));
const DashboardPage = lazy(() => import("./pages/dashboard"));
const LeadsPage = lazy(() => import("./pages/leads"));
const LeadPage = lazy(() => import("./pages/leads/LeadPage"));
const ScoringPage = lazy(() => import("./pages/scoring"));
const SegmentsPage = lazy(() => import("./pages/segments"));
const TriggersPage = lazy(() => import("./pages/triggers"));
const DataPage = lazy(() => import("./pages/data"));
const SettingsPage = lazy(() => import("./pages/settings"));
const NotFoundPage = lazy(() => import("./pages/NotFoundPage"));

export const router = createBrowserRouter(
  [
    { path: "/signin", element: <SignInPage /> },
    {
      element: <RequireSession />,
      children: [
        {
          element: <AppLayout />,
          children: [
            { index: true, element: <Navigate to="/dashboard" replace /> },
            { path: "dashboard", element: <DashboardPage /> },
            { path: "leads", element: <LeadsPage /> },
            { path: "leads/:leadId", element: <LeadPage /> },
            { path: "scoring/*", element: <ScoringPage /> },
            { path: "segments/*", element: <SegmentsPage /> },
            { path: "triggers/*", element: <TriggersPage /> },
            { path: "data/*", element: <DataPage /> },
            { path: "settings/*", element: <SettingsPage /> },
            { path: "*", element: <NotFoundPage /> },
          ],
        },
      ],
    },
  ],
  { basename: "/app" },
);
