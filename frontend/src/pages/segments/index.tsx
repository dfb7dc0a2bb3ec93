import { Route, Routes } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { SegmentDetail, SegmentEditPage } from "./SegmentDetail";
import { SegmentEditor } from "./SegmentEditor";
import { SegmentList } from "./SegmentList";

function NewSegmentPage() {
  return (
    <>
      <PageHeader title="New segment" description="Describe who belongs with rules; the preview shows who matches as you type." />
      <SegmentEditor />
    </>
  );
}

export default function SegmentsPage() {
  return (
    <Routes>
      <Route index element={<SegmentList />} />
      <Route path="new" element={<NewSegmentPage />} />
      <Route path=":segmentId" element={<SegmentDetail />} />
      <Route path=":segmentId/edit" element={<SegmentEditPage />} />
    </Routes>
  );
}
