import { Route, Routes } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { RouteTabs } from "../../components/RouteTabs";
import { EventsTab } from "./EventsTab";
import { ExportTab } from "./ExportTab";
import { ImportTab } from "./ImportTab";

const TABS = [
  { path: "", label: "Events" },
  { path: "import", label: "Import CSV" },
  { path: "export", label: "Export" },
] as const;

export default function DataPage() {
  return (
    <>
      <PageHeader title="Data" description="Every engagement event of this OU: browse and filter, import a CSV, export." />
      <RouteTabs base="/data" tabs={TABS} label="Data sections" />
      <Routes>
        <Route index element={<EventsTab />} />
        <Route path="import" element={<ImportTab />} />
        <Route path="export" element={<ExportTab />} />
      </Routes>
    </>
  );
}
