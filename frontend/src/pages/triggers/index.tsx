import { Tabs } from "@mantine/core";
import { Route, Routes, useNavigate } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { Deliveries } from "./Deliveries";
import { TriggerDetail } from "./TriggerDetail";
import { EditTriggerPage, NewTriggerPage } from "./TriggerFormPage";
import { NewTriggerMenu, TriggerList } from "./TriggerList";

/** The area's two lists as tabs; the address says which one is open. */
function TriggersHome({ tab }: { tab: "triggers" | "deliveries" }) {
  const navigate = useNavigate();
  return (
    <>
      <PageHeader title="Triggers" description="Notifications when leads reach a milestone, a sequence, a pattern, a surge or a segment." actions={<NewTriggerMenu />} />
      <Tabs value={tab} onChange={(value) => void navigate(value === "deliveries" ? "/triggers/deliveries" : "/triggers")} mb="md">
        <Tabs.List aria-label="Triggers and deliveries">
          <Tabs.Tab value="triggers">Triggers</Tabs.Tab>
          <Tabs.Tab value="deliveries">Deliveries</Tabs.Tab>
        </Tabs.List>
      </Tabs>
      {tab === "triggers" ? <TriggerList /> : <Deliveries />}
    </>
  );
}

export default function TriggersPage() {
  return (
    <Routes>
      <Route index element={<TriggersHome tab="triggers" />} />
      <Route path="deliveries" element={<TriggersHome tab="deliveries" />} />
      <Route path="new/:kind" element={<NewTriggerPage />} />
      <Route path=":kind/:triggerId" element={<TriggerDetail />} />
      <Route path=":kind/:triggerId/edit" element={<EditTriggerPage />} />
    </Routes>
  );
}
