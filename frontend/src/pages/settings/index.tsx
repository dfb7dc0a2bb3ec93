import type { ComponentType } from "react";
import { Navigate, Route, Routes } from "react-router";
import { allows, useSession, type Ability } from "../../auth/SessionContext";
import { PageHeader } from "../../components/PageHeader";
import { RouteTabs } from "../../components/RouteTabs";
import { AuditLogSection } from "./AuditLogSection";
import { CredentialsSection } from "./CredentialsSection";
import { MembersSection } from "./MembersSection";
import { RateLimitSection } from "./RateLimitSection";
import { visibleSections } from "./sections";
import { SlackSection } from "./SlackSection";
import { UsageSection } from "./UsageSection";
import { WebhookSecretSection } from "./WebhookSecretSection";

const SECTION_PAGES: Record<string, ComponentType> = {
  credentials: CredentialsSection,
  members: MembersSection,
  webhooks: WebhookSecretSection,
  slack: SlackSection,
  "rate-limit": RateLimitSection,
  usage: UsageSection,
  audit: AuditLogSection,
};

export default function SettingsPage() {
  const { member, activeOu } = useSession();
  const sections = visibleSections((ability: Ability) => allows({ orgRole: member?.role, ouRole: activeOu?.role, ability }));
  return (
    <>
      <PageHeader title="Settings" description={`Access, integrations and limits of ${activeOu?.name ?? "this OU"} and its organization.`} />
      <RouteTabs base="/settings" tabs={sections} label="Settings sections" />
      <Routes>
        {sections[0] && <Route index element={<Navigate to={sections[0].path} replace />} />}
        {sections.map((section) => {
          const Section = SECTION_PAGES[section.path];
          return Section ? <Route key={section.path} path={section.path} element={<Section />} /> : null;
        })}
        <Route path="*" element={<Navigate to="/settings" replace />} />
      </Routes>
    </>
  );
}
