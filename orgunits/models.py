"""Organizations, organization units (OUs), members and their OU roles, API credentials."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from leadvibe.db import PrefixedIdField, TimestampedModel
from orgunits.tenancy import OUOwnedModel


class Organization(TimestampedModel):
    class RateLimitMode(models.TextChoices):
        OFF = "off"
        OBSERVE = "observe"
        ENFORCE = "enforce"

    class RateLimitKeyBy(models.TextChoices):
        ORG = "org"
        CREDENTIAL = "credential"
        IP = "ip"

    id = PrefixedIdField(prefix="org")
    name = models.CharField(max_length=200)
    allow_negative_scores = models.BooleanField(default=False)
    abm_enabled = models.BooleanField(default=False)
    # Rate-limit policy of the organization; empty or null fields take the deployment's
    # defaults (RATE_LIMIT_* settings).
    rate_limit_mode = models.CharField(
        max_length=10, choices=RateLimitMode.choices, blank=True, default=""
    )
    rate_limit_key_by = models.CharField(
        max_length=10, choices=RateLimitKeyBy.choices, blank=True, default=""
    )
    rate_limit_rps = models.FloatField(null=True)
    rate_limit_burst = models.PositiveIntegerField(null=True)

    def __str__(self) -> str:
        return self.name


class OrgUnitQuerySet(models.QuerySet):
    def for_org(self, org: Organization):
        return self.filter(org=org)


class OrgUnit(TimestampedModel):
    id = PrefixedIdField(prefix="ou")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    session_timeout_minutes = models.PositiveIntegerField(default=30)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "slug"], name="orgunit_unique_slug_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberManager(BaseUserManager):
    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class Member(AbstractBaseUser):
    """A person of an organization; logs in with email and password (the user model)."""

    class OrgRole(models.TextChoices):
        ADMIN = "admin"
        MEMBER = "member"

    id = PrefixedIdField(prefix="om")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    # Stored lower-cased by the services; login is by email, so it identifies one member.
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=10, choices=OrgRole.choices, default=OrgRole.MEMBER)
    verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = MemberManager()

    def __str__(self) -> str:
        return self.email


class OUMembership(OUOwnedModel):
    class Role(models.TextChoices):
        OWNER = "Owner"
        OPERATOR = "Operator"
        VIEWER = "Viewer"

    # What each role may do, in increasing order of rights.
    ROLE_RANK: dict[str, int] = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.OWNER: 3}

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "member"], name="oumembership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} is {self.role} of {self.unit_id}"


class ApiCredential(OUOwnedModel):
    """A client id and secret for HTTP Basic, bound to the OU active when it was created.

    The secret is 256 random bits, so a single SHA-256 of it is as safe as a slow password
    hash and costs microseconds on the ingest path.
    """

    id = PrefixedIdField(prefix="sec")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="credentials")
    name = models.CharField(max_length=50)
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"
