import { describe, expect, it } from "vitest";
import { allows } from "../../auth/SessionContext";
import { visibleSections } from "./sections";

const pathsFor = (orgRole: string, ouRole: string) => visibleSections((ability) => allows({ orgRole, ouRole, ability })).map((section) => section.path);

describe("visibleSections", () => {
  it("shows a Viewer only what they may read", () => {
    expect(pathsFor("member", "Viewer")).toEqual(["members", "slack", "usage"]);
  });

  it("adds webhook signing for Operators, credentials and the audit log for Owners", () => {
    expect(pathsFor("member", "Operator")).toEqual(["members", "webhooks", "slack", "usage"]);
    expect(pathsFor("member", "Owner")).toEqual(["credentials", "members", "webhooks", "slack", "usage", "audit"]);
  });

  it("keeps the rate-limit policy for org admins", () => {
    expect(pathsFor("admin", "Viewer")).toContain("rate-limit");
    expect(pathsFor("member", "Owner")).not.toContain("rate-limit");
  });
});
