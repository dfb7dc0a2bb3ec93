import { AppShell, Badge, Burger, Button, Center, Group, Loader, NavLink, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { Suspense } from "react";
import { NavLink as RouterNavLink, Outlet, useNavigate } from "react-router";
import { useSession } from "../auth/SessionContext";
import { useLiveStatus } from "../components/LiveEvents";
import { NAV_ITEMS } from "./nav";
import { OuSwitcher } from "./OuSwitcher";

const LIVE_LABEL = { open: "Live", connecting: "Connecting", reconnecting: "Reconnecting", off: "Offline" } as const;

function LiveBadge() {
  const status = useLiveStatus();
  return (
    <Badge variant="dot" color={status === "open" ? "green" : "gray"} aria-live="polite">
      {LIVE_LABEL[status]}
    </Badge>
  );
}

export function PageLoader() {
  return (
    <Center py="xl">
      <Loader aria-label="Loading" />
    </Center>
  );
}

export function AppLayout() {
  const [navOpened, { toggle, close }] = useDisclosure();
  const { member, activeOu, organization, signOut } = useSession();
  const navigate = useNavigate();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !navOpened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={navOpened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Navigation" />
            <Title order={4}>Leadvibe</Title>
            {organization && (
              <Text c="dimmed" size="sm" visibleFrom="md">
                {organization.name}
              </Text>
            )}
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LiveBadge />
            <OuSwitcher />
            <Text size="sm" visibleFrom="md" data-testid="member-email">
              {member?.email}
            </Text>
            <Button
              variant="subtle"
              size="sm"
              onClick={() => {
                signOut();
                void navigate("/signin");
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {NAV_ITEMS.map((item) => (
          <NavLink key={item.path} component={RouterNavLink} to={item.path} label={item.label} onClick={close} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Text size="xs" c="dimmed" mb="xs" data-testid="active-ou">
          {activeOu?.name}
          {activeOu ? ` · ${activeOu.role}` : ""}
        </Text>
        <Suspense fallback={<PageLoader />}>
          {/* Keyed by OU: a page's local state (filters, open dialogs) does not leak across OUs. */}
          <Outlet key={activeOu?.unit_id} />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
