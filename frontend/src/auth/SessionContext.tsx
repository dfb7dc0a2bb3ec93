/**
 * Who is signed in, which OUs they may open and which one is active; `useCan` answers what
 * the member may do there. The API enforces roles; the UI only hides what would be refused.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { api, session } from "../api/client";
import { unwrap } from "../api/errors";
import { OU_INDEPENDENT_PATHS } from "../api/queryClient";
import type { components } from "../api/schema";

export type Member = components["schemas"]["MemberOutput"];
export type OrgUnitsAnswer = components["schemas"]["OrgUnitsOutput"];
export type OrgUnit = OrgUnitsAnswer["units"][number];
export type OuRole = "Viewer" | "Operator" | "Owner";

/** read: any member; write: configuration and data (Operator); manage: the OU's members (Owner); admin: org admin. */
export type Ability = "read" | "write" | "manage" | "admin";

const RANK: Record<OuRole, number> = { Viewer: 1, Operator: 2, Owner: 3 };
const NEEDED_RANK: Record<Exclude<Ability, "admin">, number> = { read: 1, write: 2, manage: 3 };

export function allows({ orgRole, ouRole, ability }: { orgRole: string | undefined; ouRole: string | undefined; ability: Ability }): boolean {
  if (orgRole === "admin") return true;
  if (ability === "admin") return false;
  const rank = RANK[ouRole as OuRole] ?? 0;
  return rank >= NEEDED_RANK[ability];
}

interface SessionValue {
  member: Member | undefined;
  units: OrgUnit[];
  organization: OrgUnitsAnswer["organization"] | undefined;
  activeOu: OrgUnit | undefined;
  isLoading: boolean;
  switchOu: (ouId: string) => Promise<void>;
  signOut: () => void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function useSessionStatus() {
  return useSyncExternalStore(session.subscribe, session.getStatus);
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const status = useSessionStatus();
  const activeOuId = useSyncExternalStore(session.subscribe, () => session.activeOuId);
  const signedIn = status === "signedIn";

  const me = useQuery({
    queryKey: ["/api/v1/auth/me"],
    queryFn: () => unwrap(api.GET("/api/v1/auth/me")),
    enabled: signedIn,
    staleTime: Infinity,
  });
  const orgUnits = useQuery({
    queryKey: ["/api/v1/org-units"],
    queryFn: () => unwrap(api.GET("/api/v1/org-units")),
    enabled: signedIn,
    staleTime: 60_000,
  });
  const units = useMemo(() => orgUnits.data?.units ?? [], [orgUnits.data]);
  const activeOu = units.find((unit) => unit.unit_id === activeOuId);

  const switchOu = useCallback(
    async (ouId: string) => {
      await unwrap(api.POST("/api/v1/org-units/active", { body: { ouId } }));
      session.setActiveOuId(ouId);
      // Drop the other OU's answers rather than show them while the new ones load.
      await queryClient.resetQueries({
        predicate: ({ queryKey }) =>
          !OU_INDEPENDENT_PATHS.some((prefix) => String(queryKey[0]).startsWith(prefix)),
      });
    },
    [queryClient],
  );

  // The first OU is active until the member picks one (or when theirs was taken away).
  const firstUnitId = units[0]?.unit_id;
  useEffect(() => {
    if (firstUnitId && !activeOu) void switchOu(firstUnitId);
  }, [firstUnitId, activeOu, switchOu]);

  const signOut = useCallback(() => {
    session.signOut();
    queryClient.clear();
  }, [queryClient]);

  const value = useMemo<SessionValue>(
    () => ({
      member: me.data,
      units,
      organization: orgUnits.data?.organization,
      activeOu,
      isLoading: signedIn && (me.isPending || orgUnits.isPending || (units.length > 0 && !activeOu)),
      switchOu,
      signOut,
    }),
    [me.data, me.isPending, units, orgUnits.data, orgUnits.isPending, activeOu, signedIn, switchOu, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession needs a SessionProvider");
  return value;
}

/** Whether the member may do `ability` in the active OU: hide controls they would be refused. */
export function useCan(ability: Ability): boolean {
  const { member, activeOu } = useSession();
  return allows({ orgRole: member?.role, ouRole: activeOu?.role, ability });
}
