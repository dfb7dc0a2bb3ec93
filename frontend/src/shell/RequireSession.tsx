import { Navigate, Outlet, useLocation } from "react-router";
import { useSession, useSessionStatus } from "../auth/SessionContext";
import { LiveEventsProvider } from "../components/LiveEvents";
import { PageLoader } from "./AppLayout";

/** The signed-in part of the app: anyone else goes to the sign-in page and comes back after. */
export function RequireSession() {
  const status = useSessionStatus();
  const { isLoading } = useSession();
  const location = useLocation();
  if (status === "signedOut") {
    return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  }
  if (isLoading) return <PageLoader />;
  return (
    <LiveEventsProvider>
      <Outlet />
    </LiveEventsProvider>
  );
}
