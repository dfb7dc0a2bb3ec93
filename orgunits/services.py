"""Writes for organizations, OUs, members, memberships and credentials."""

import datetime
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from redis.exceptions import RedisError

from leadvibe.exceptions import ConflictError
from leadvibe.local_cache import LocalTTLCache
from leadvibe.metrics import REDIS_UNAVAILABLE
from leadvibe.redis_client import get_redis
from orgunits.extension_points import ORG_UNIT_CREATED, OrgUnitCreated
from orgunits.models import ApiCredential, Member, Organization, OrgUnit, OUMembership

logger = logging.getLogger(__name__)

# last_used_at is a hint for people, not an audit trail: writing it at most once a minute
# keeps a database write off almost every authenticated request.
_LAST_USED_RESOLUTION = datetime.timedelta(seconds=60)

# Verified credentials by client id, so that Basic requests do not pay a database round trip
# each. A revocation takes effect at once everywhere: it is announced in Redis
# (`credential_revocation_key`), which every request reads in the round trip that spends its
# rate-limit token (orgunits.api.base). Only while Redis cannot be reached does a process
# trust its cache alone, for at most CREDENTIAL_CACHE_SECONDS.
verified_credentials = LocalTTLCache(ttl_seconds=settings.CREDENTIAL_CACHE_SECONDS)
# Outlives every cache entry made before the revocation, with room to spare.
_REVOCATION_MARK_SECONDS = settings.CREDENTIAL_CACHE_SECONDS + 60


def organization_create(*, name: str) -> Organization:
    return Organization.objects.create(name=name)


def organization_rate_limit_set(
    *,
    org: Organization,
    mode: str | None,
    key_by: str | None,
    rps: float | None,
    burst: int | None,
) -> Organization:
    org.rate_limit_mode = mode or ""
    org.rate_limit_key_by = key_by or ""
    org.rate_limit_rps = rps
    org.rate_limit_burst = burst
    org.save(
        update_fields=[
            "rate_limit_mode",
            "rate_limit_key_by",
            "rate_limit_rps",
            "rate_limit_burst",
            "updated_at",
        ]
    )
    return org


@transaction.atomic
def org_unit_create(*, org: Organization, name: str) -> OrgUnit:
    unit = OrgUnit.objects.create(org=org, name=name, slug=_unique_slug(org=org, name=name))
    ORG_UNIT_CREATED.publish(OrgUnitCreated(unit=unit))
    return unit


def organization_scoring_settings_set(
    *, org: Organization, allow_negative_scores: bool, abm_enabled: bool
) -> Organization:
    org.allow_negative_scores = allow_negative_scores
    org.abm_enabled = abm_enabled
    org.save(update_fields=["allow_negative_scores", "abm_enabled", "updated_at"])
    return org


def org_unit_session_timeout_set(*, unit: OrgUnit, minutes: int) -> OrgUnit:
    unit.session_timeout_minutes = minutes
    unit.save(update_fields=["session_timeout_minutes", "updated_at"])
    return unit


def org_unit_rename(*, unit: OrgUnit, name: str) -> OrgUnit:
    unit.name = name
    unit.slug = _unique_slug(org=unit.org, name=name, exclude_id=unit.id)
    unit.save(update_fields=["name", "slug", "updated_at"])
    return unit


def _unique_slug(*, org: Organization, name: str, exclude_id: str | None = None) -> str:
    base = slugify(name)[:200] or "unit"
    slug, suffix = base, 1
    taken = OrgUnit.objects.for_org(org).exclude(id=exclude_id)
    while taken.filter(slug=slug).exists():
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
    email = Member.objects.normalize_email(email).strip().lower()
    if Member.objects.filter(email=email).exists():
        raise ConflictError("A member with this email already exists")
    member = Member(
        org=org,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        verified=verified,
    )
    member.set_password(password)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent create with the same email won the race
        raise ConflictError("A member with this email already exists") from exc
    return member


def member_update(*, member: Member, **fields) -> Member:
    if "email" in fields:
        email = Member.objects.normalize_email(fields["email"]).strip().lower()
        if Member.objects.filter(email=email).exclude(id=member.id).exists():
            raise ConflictError("A member with this email already exists")
        fields["email"] = email
    for name, value in fields.items():
        setattr(member, name, value)
    member.save(update_fields=list(fields))
    return member


def member_delete(*, member: Member) -> None:
    member.delete()


def ou_membership_remove(*, membership: OUMembership) -> None:
    _keep_an_owner(membership=membership, new_role=None)
    membership.delete()


def ou_membership_change_role(*, membership: OUMembership, role: str) -> OUMembership:
    _keep_an_owner(membership=membership, new_role=role)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def _keep_an_owner(*, membership: OUMembership, new_role: str | None) -> None:
    if membership.role != OUMembership.Role.OWNER or new_role == OUMembership.Role.OWNER:
        return
    owners = OUMembership.objects.for_ou(membership.unit_id).filter(role=OUMembership.Role.OWNER)
    if owners.count() <= 1:
        raise ConflictError("An OU must keep at least one Owner")


def ou_membership_assign(*, unit: OrgUnit, member: Member, role: str) -> OUMembership:
    membership, _ = OUMembership.objects.for_ou(unit).update_or_create(
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


def credential_revocation_key(client_id: str) -> str:
    return f"cred:revoked:{client_id}"


def api_credential_revoke(*, credential: ApiCredential) -> None:
    client_id = credential.client_id
    verified_credentials.delete(client_id)
    credential.delete()
    transaction.on_commit(lambda: _announce_revocation(client_id=client_id))


def _announce_revocation(*, client_id: str) -> None:
    try:
        get_redis().set(credential_revocation_key(client_id), "1", ex=_REVOCATION_MARK_SECONDS)
    except (RedisError, OSError) as exc:
        REDIS_UNAVAILABLE.labels(operation="credential_revocation").inc()
        logger.warning(
            "credential revocation not announced; other processes trust their cache until "
            "it expires",
            extra={"client_id": client_id, "error": str(exc)},
        )


def api_credential_forget(*, client_id: str) -> None:
    """Drop a credential this process verified earlier and another process has revoked."""
    verified_credentials.delete(client_id)


def api_credential_authenticate(*, client_id: str, secret: str) -> ApiCredential | None:
    """The credential these Basic-auth values name, or None; records its use."""
    presented_hash = api_credential_hash(secret)
    credential = verified_credentials.get(client_id)
    if credential is not None:
        return credential if hmac.compare_digest(credential.secret_hash, presented_hash) else None
    credential = (
        ApiCredential.objects.unscoped()
        .filter(client_id=client_id)
        .select_related("unit__org")
        .first()
    )
    if credential is None or not hmac.compare_digest(credential.secret_hash, presented_hash):
        return None
    verified_credentials.set(client_id, credential)
    now = timezone.now()
    if credential.last_used_at is None or now - credential.last_used_at > _LAST_USED_RESOLUTION:
        ApiCredential.objects.unscoped().filter(id=credential.id).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - _LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        credential.last_used_at = now
    return credential


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
        membership = existing.memberships.select_related("unit").first()
        unit = membership.unit if membership else org_unit_create(org=existing.org, name=ou_name)
        if membership is None:
            ou_membership_assign(unit=unit, member=existing, role=OUMembership.Role.OWNER)
        credential = ApiCredential.objects.for_ou(unit).order_by("created_at").first()
        return BootstrapResult(False, existing.org, unit, existing, credential, None)

    org = organization_create(name=org_name)
    unit = org_unit_create(org=org, name=ou_name)
    member = member_create(
        org=org, email=email, password=password, role=Member.OrgRole.ADMIN, verified=True
    )
    ou_membership_assign(unit=unit, member=member, role=OUMembership.Role.OWNER)
    issued = api_credential_create(unit=unit, name="bootstrap", created_by=member)
    return BootstrapResult(True, org, unit, member, issued.credential, issued.client_secret)
