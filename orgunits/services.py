"""Writes for organizations, OUs, members, memberships and credentials."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from orgunits.models import ApiCredential, Member, Organization, OrgUnit, OUMembership


def organization_create(*, name: str) -> Organization:
    return Organization.objects.create(name=name)


def org_unit_create(*, org: Organization, name: str) -> OrgUnit:
    return OrgUnit.objects.create(org=org, name=name, slug=_unique_slug(org=org, name=name))


def _unique_slug(*, org: Organization, name: str) -> str:
    base = slugify(name)[:200] or "unit"
    slug, suffix = base, 1
    while OrgUnit.objects.for_org(org).filter(slug=slug).exists():
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


def member_create(
    *,
    org: Organization,
    email: str,
    password: str,
    role: str = Member.OrgRole.MEMBER,
    first_name: str = "",
    last_name: str = "",
    verified: bool = False,
) -> Member:
    member = Member(
        org=org,
        email=Member.objects.normalize_email(email).lower(),
        role=role,
        first_name=first_name,
        last_name=last_name,
        verified=verified,
    )
    member.set_password(password)
    member.save()
    return member


def ou_membership_assign(*, unit: OrgUnit, member: Member, role: str) -> OUMembership:
    membership, _ = OUMembership.objects.update_or_create(
        unit=unit, member=member, defaults={"org": unit.org, "role": role}
    )
    return membership


@dataclass(frozen=True)
class IssuedCredential:
    credential: ApiCredential
    client_secret: str


def api_credential_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_credential_create(
    *, unit: OrgUnit, name: str, created_by: Member | None = None
) -> IssuedCredential:
    secret = secrets.token_urlsafe(32)
    credential = ApiCredential.objects.create(
        org=unit.org,
        unit=unit,
        name=name,
        client_id=f"lv_{secrets.token_hex(12)}",
        secret_hash=api_credential_hash(secret),
        created_by=created_by,
    )
    return IssuedCredential(credential=credential, client_secret=secret)


@dataclass(frozen=True)
class BootstrapResult:
    created: bool
    org: Organization
    unit: OrgUnit
    member: Member
    credential: ApiCredential | None
    client_secret: str | None

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "org_id": self.org.id,
            "org_name": self.org.name,
            "ou_id": self.unit.id,
            "ou_name": self.unit.name,
            "org_member_id": self.member.id,
            "email": self.member.email,
            "secret_id": self.credential.id if self.credential else None,
            "client_id": self.credential.client_id if self.credential else None,
            "client_secret": self.client_secret,
        }


@transaction.atomic
def organization_bootstrap(
    *, org_name: str, ou_name: str, email: str, password: str
) -> BootstrapResult:
    """The first admin of a new organization, an OU they own and an API credential.

    Idempotent per email: for an existing member nothing is created and the existing ids are
    returned (the credential's secret cannot be shown again).
    """
    existing = Member.objects.filter(email__iexact=email.strip()).select_related("org").first()
    if existing:
        membership = OUMembership.objects.filter(member=existing).select_related("unit").first()
        unit = membership.unit if membership else org_unit_create(org=existing.org, name=ou_name)
        if membership is None:
            ou_membership_assign(unit=unit, member=existing, role=OUMembership.Role.OWNER)
        credential = ApiCredential.objects.filter(unit=unit).order_by("created_at").first()
        return BootstrapResult(False, existing.org, unit, existing, credential, None)

    org = organization_create(name=org_name)
    unit = org_unit_create(org=org, name=ou_name)
    member = member_create(
        org=org, email=email, password=password, role=Member.OrgRole.ADMIN, verified=True
    )
    ou_membership_assign(unit=unit, member=member, role=OUMembership.Role.OWNER)
    issued = api_credential_create(unit=unit, name="bootstrap", created_by=member)
    return BootstrapResult(True, org, unit, member, issued.credential, issued.client_secret)
