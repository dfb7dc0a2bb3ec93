"""Reads for organizations, OUs, members, memberships and credentials.

A `*_get` selector raises NotFoundError when nothing answers to the id it was given (the
project's one not-found style); `*_for` answers None where absence is an answer.
"""

from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

from leadvibe.exceptions import NotFoundError
from leadvibe.ratelimit import RateLimitPolicy
from orgunits.models import ApiCredential, Member, Organization, OrgUnit, OUMembership

Role = OUMembership.Role
Found = TypeVar("Found")


def organizations_exist() -> bool:
    return Organization.objects.exists()


@dataclass(frozen=True)
class OUAccess:
    """What a caller may do in one OU. Org admins act as Owners of every OU of their org."""

    unit: OrgUnit
    role: str

    def allows(self, needed_role: str) -> bool:
        return OUMembership.ROLE_RANK[self.role] >= OUMembership.ROLE_RANK[needed_role]


def org_unit_get(*, org: Organization, unit_id: str) -> OrgUnit:
    """The organization's OU `unit_id`; NotFoundError otherwise."""
    return _found(OrgUnit.objects.for_org(org).filter(id=unit_id).select_related("org").first())


def ou_access_for(*, member: Member, unit: OrgUnit) -> OUAccess | None:
    if unit.org_id != member.org_id:
        return None
    if member.role == Member.OrgRole.ADMIN:
        return OUAccess(unit=unit, role=Role.OWNER)
    membership = OUMembership.objects.for_ou(unit).filter(member=member).first()
    return OUAccess(unit=unit, role=membership.role) if membership else None


def org_units_for_member(*, member: Member) -> list[tuple[OrgUnit, str]]:
    """The OUs a member can act in, with their role in each."""
    units = OrgUnit.objects.for_org(member.org).order_by("name", "id")
    if member.role == Member.OrgRole.ADMIN:
        return [(unit, Role.OWNER) for unit in units]
    roles = dict(member.memberships.values_list("unit_id", "role"))
    return [(unit, roles[unit.id]) for unit in units.filter(id__in=roles)]


def ou_memberships_list(*, unit: OrgUnit):
    return OUMembership.objects.for_ou(unit).select_related("member").order_by("created_at")


def ou_membership_get(*, unit: OrgUnit, member_id: str) -> OUMembership:
    """The OU's membership of `member_id`; NotFoundError otherwise."""
    memberships = OUMembership.objects.for_ou(unit).select_related("member")
    return _found(memberships.filter(member_id=member_id).first())


def org_members_list(*, org: Organization):
    return Member.objects.filter(org=org).order_by("created_at", "id")


def org_member_get(*, org: Organization, member_id: str) -> Member:
    """The organization's member `member_id`; NotFoundError otherwise."""
    return _found(Member.objects.filter(org=org, id=member_id).first())


def api_credentials_list(*, unit: OrgUnit):
    return ApiCredential.objects.for_ou(unit).order_by("created_at", "id")


def api_credential_get(*, unit: OrgUnit, credential_id: str) -> ApiCredential:
    """The OU's credential `credential_id`; NotFoundError otherwise."""
    return _found(ApiCredential.objects.for_ou(unit).filter(id=credential_id).first())


def _found(row: Found | None) -> Found:
    if row is None:
        raise NotFoundError()
    return row


def rate_limit_policy_for(*, org: Organization) -> tuple[RateLimitPolicy, str]:
    """The organization's policy and where it comes from: `org` (its own) or `default`."""
    policy = RateLimitPolicy(
        mode=org.rate_limit_mode or settings.RATE_LIMIT_MODE,
        key_by=org.rate_limit_key_by or settings.RATE_LIMIT_KEY_BY,
        rps=org.rate_limit_rps or settings.RATE_LIMIT_RPS,
        burst=org.rate_limit_burst or settings.RATE_LIMIT_BURST,
    )
    overridden = any(
        (org.rate_limit_mode, org.rate_limit_key_by, org.rate_limit_rps, org.rate_limit_burst)
    )
    return policy, "org" if overridden else "default"
