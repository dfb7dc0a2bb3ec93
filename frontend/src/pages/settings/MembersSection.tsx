import { Badge, Group, Modal, PasswordInput, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { ApiError, unwrap } from "../../api/errors";
import type { components } from "../../api/schema";
import { useCan, useSession, type OuRole } from "../../auth/SessionContext";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { applyApiErrors, FormErrorAlert } from "../../components/formErrors";
import { WriteButton } from "../../components/WriteButton";

type OrgMember = components["schemas"]["MemberOutput"];
type Membership = components["schemas"]["MembershipOutput"];
type MemberInput = components["schemas"]["MemberCreateInputRequest"];

const OU_ROLES: { value: OuRole; label: string }[] = [
  { value: "Viewer", label: "Viewer: reads" },
  { value: "Operator", label: "Operator: changes configuration and data" },
  { value: "Owner", label: "Owner: also manages members, credentials" },
];
const ORG_ROLES = [
  { value: "member", label: "Member (rights per OU)" },
  { value: "admin", label: "Admin (everything in the organization)" },
];

const fullName = (person: { first_name: string; last_name: string }) => `${person.first_name} ${person.last_name}`.trim();

function AddMemberModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const form = useForm<MemberInput>({ initialValues: { first_name: "", last_name: "", email: "", password: "", role: "member" } });
  const create = useMutation({
    mutationFn: (body: MemberInput) => unwrap(api.POST("/api/v1/org/members", { body })),
    onSuccess: () => {
      form.reset();
      onClose();
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/org/members"] });
    },
    onError: (error) => {
      const message = applyApiErrors(form, error);
      // The one conflict here is an email another member already has.
      if (error instanceof ApiError && error.status === 409) form.setFieldError("email", message);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Add a member to the organization" centered>
      <form onSubmit={form.onSubmit((values) => create.mutate(values))}>
        <Stack gap="sm">
          <Group grow>
            <TextInput label="First name" required {...form.getInputProps("first_name")} />
            <TextInput label="Last name" required {...form.getInputProps("last_name")} />
          </Group>
          <TextInput label="Email" type="email" required {...form.getInputProps("email")} />
          <PasswordInput label="Initial password" required description="They sign in with it; share it privately." {...form.getInputProps("password")} />
          <Select label="Organization role" data={ORG_ROLES} allowDeselect={false} {...form.getInputProps("role")} />
          <FormErrorAlert error={create.error && Object.keys(form.errors).length === 0 ? create.error : null} />
          <Group justify="flex-end">
            <WriteButton ability="admin" type="submit" loading={create.isPending}>
              Add member
            </WriteButton>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function OrgMembers() {
  const queryClient = useQueryClient();
  const { member: me } = useSession();
  const isAdmin = useCan("admin");
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<OrgMember | null>(null);
  const members = useQuery({ queryKey: ["/api/v1/org/members"], queryFn: () => unwrap(api.GET("/api/v1/org/members")) });
  const changeRole = useMutation({
    mutationFn: ({ memberId, role }: { memberId: string; role: "admin" | "member" }) =>
      unwrap(api.PUT("/api/v1/org/members/{member_id}", { params: { path: { member_id: memberId } }, body: { role } })),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["/api/v1/org/members"] }),
  });
  const remove = useMutation({
    mutationFn: (memberId: string) => unwrap(api.DELETE("/api/v1/org/members/{member_id}", { params: { path: { member_id: memberId } } })),
    onSuccess: () => {
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/org/members"] });
      void queryClient.invalidateQueries({ queryKey: ["/api/v1/org-units"] });
    },
  });

  const columns: Column<OrgMember>[] = [
    { key: "name", header: "Name", render: (member) => fullName(member) || "—" },
    { key: "email", header: "Email", render: (member) => member.email },
    {
      key: "role",
      header: "Organization role",
      render: (member) =>
        isAdmin && member.org_member_id !== me?.org_member_id ? (
          <Select
            size="xs"
            aria-label={`Organization role of ${member.email}`}
            data={ORG_ROLES}
            value={member.role}
            allowDeselect={false}
            data-write-control=""
            onChange={(role) => role && changeRole.mutate({ memberId: member.org_member_id, role: role as "admin" | "member" })}
            w={260}
          />
        ) : (
          <Badge variant="light" color={member.role === "admin" ? "grape" : "gray"}>
            {member.role}
          </Badge>
        ),
    },
    { key: "verified", header: "Verified", render: (member) => (member.verified ? "Yes" : "Not yet") },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (member) =>
        member.org_member_id === me?.org_member_id ? (
          <Text size="xs" c="dimmed">
            you
          </Text>
        ) : (
          <WriteButton ability="admin" size="xs" color="red" variant="subtle" onClick={() => setDeleting(member)} aria-label={`Delete ${member.email}`}>
            Delete
          </WriteButton>
        ),
    },
  ];

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={3}>Organization members</Title>
        <WriteButton ability="admin" onClick={() => setAdding(true)}>
          Add member
        </WriteButton>
      </Group>
      <FormErrorAlert error={changeRole.error} />
      <DataTable
        caption="Organization members"
        columns={columns}
        rows={members.data}
        rowKey={(member) => member.org_member_id}
        isLoading={members.isPending}
        error={members.error}
        onRetry={() => void members.refetch()}
        empty={{ title: "No members yet", description: "Add the people who work in Leadvibe; then give them a role in each OU below." }}
      />
      <AddMemberModal opened={adding} onClose={() => setAdding(false)} />
      <ConfirmDialog
        opened={deleting !== null}
        title="Delete this member?"
        confirmLabel="Delete member"
        destructive
        loading={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting.org_member_id)}
      >
        {deleting?.email} will no longer sign in, and loses their roles in every OU.
        <FormErrorAlert error={remove.error} />
      </ConfirmDialog>
    </Stack>
  );
}

function OuMemberships() {
  const queryClient = useQueryClient();
  const { activeOu } = useSession();
  const canManage = useCan("manage");
  const unitId = activeOu?.unit_id ?? "";
  const path = { unit_id: unitId };
  const key = ["/api/v1/org-units", unitId, "memberships"];
  const [removing, setRemoving] = useState<Membership | null>(null);
  const memberships = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/v1/org-units/{unit_id}/memberships", { params: { path } })),
    enabled: Boolean(unitId),
  });
  const members = useQuery({ queryKey: ["/api/v1/org/members"], queryFn: () => unwrap(api.GET("/api/v1/org/members")), enabled: canManage });
  const assignForm = useForm<{ org_member_id: string; role: OuRole }>({ initialValues: { org_member_id: "", role: "Viewer" } });
  const assign = useMutation({
    mutationFn: (body: { org_member_id: string; role: OuRole }) => unwrap(api.POST("/api/v1/org-units/{unit_id}/memberships", { params: { path }, body })),
    onSuccess: () => {
      assignForm.reset();
      void queryClient.invalidateQueries({ queryKey: key });
    },
    onError: (error) => applyApiErrors(assignForm, error),
  });
  const changeRole = useMutation({
    mutationFn: ({ memberId, role }: { memberId: string; role: OuRole }) =>
      unwrap(api.PUT("/api/v1/org-units/{unit_id}/memberships/{member_id}", { params: { path: { ...path, member_id: memberId } }, body: { role } })),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  const remove = useMutation({
    mutationFn: (memberId: string) => unwrap(api.DELETE("/api/v1/org-units/{unit_id}/memberships/{member_id}", { params: { path: { ...path, member_id: memberId } } })),
    onSuccess: () => {
      setRemoving(null);
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });

  const inOu = new Set(memberships.data?.map((membership) => membership.org_member_id));
  const candidates = (members.data ?? []).filter((member) => !inOu.has(member.org_member_id)).map((member) => ({ value: member.org_member_id, label: `${fullName(member)} <${member.email}>` }));

  const columns: Column<Membership>[] = [
    { key: "name", header: "Name", render: (membership) => fullName(membership) || "—" },
    { key: "email", header: "Email", render: (membership) => membership.email },
    {
      key: "role",
      header: `Role in ${activeOu?.name ?? "this OU"}`,
      render: (membership) =>
        canManage ? (
          <Select
            size="xs"
            aria-label={`Role of ${membership.email}`}
            data={OU_ROLES}
            value={membership.role}
            allowDeselect={false}
            data-write-control=""
            onChange={(role) => role && changeRole.mutate({ memberId: membership.org_member_id, role: role as OuRole })}
            w={300}
          />
        ) : (
          <Badge variant="light">{membership.role}</Badge>
        ),
    },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (membership) => (
        <WriteButton ability="manage" size="xs" color="red" variant="subtle" onClick={() => setRemoving(membership)} aria-label={`Remove ${membership.email} from the OU`}>
          Remove
        </WriteButton>
      ),
    },
  ];

  return (
    <Stack gap="sm">
      <Title order={3}>Roles in {activeOu?.name ?? "this OU"}</Title>
      {canManage && (
        <form onSubmit={assignForm.onSubmit((values) => assign.mutate(values))}>
          <Group align="flex-start">
            <Select label="Member" placeholder={candidates.length ? "Choose a member" : "Everyone is in this OU"} data={candidates} searchable w={340} {...assignForm.getInputProps("org_member_id")} />
            <Select label="Role" data={OU_ROLES} allowDeselect={false} w={300} {...assignForm.getInputProps("role")} />
            <WriteButton ability="manage" type="submit" mt={25} disabled={!assignForm.values.org_member_id} loading={assign.isPending}>
              Give access
            </WriteButton>
          </Group>
        </form>
      )}
      <FormErrorAlert error={(assign.error && Object.keys(assignForm.errors).length === 0 ? assign.error : null) ?? changeRole.error} />
      <DataTable
        caption={`Members of ${activeOu?.name ?? "this OU"}`}
        columns={columns}
        rows={memberships.data}
        rowKey={(membership) => membership.org_member_id}
        isLoading={memberships.isPending}
        error={memberships.error}
        onRetry={() => void memberships.refetch()}
        empty={{ title: "Nobody has a role in this OU yet", description: "Give members access above: Viewers read, Operators change configuration and data, Owners also manage access." }}
      />
      <ConfirmDialog
        opened={removing !== null}
        title="Remove from this OU?"
        confirmLabel="Remove"
        destructive
        loading={remove.isPending}
        onCancel={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate(removing.org_member_id)}
      >
        {removing?.email} will no longer open {activeOu?.name}. Their other OUs are unchanged.
        <FormErrorAlert error={remove.error} />
      </ConfirmDialog>
    </Stack>
  );
}

export function MembersSection() {
  return (
    <Stack gap="xl">
      <OuMemberships />
      <OrgMembers />
    </Stack>
  );
}
