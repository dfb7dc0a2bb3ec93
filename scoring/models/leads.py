"""Leads, the aliases that identify them and the accounts (companies) they belong to.

Leads keep the client's id (`lead_id`, unique per OU) and a bigint surrogate key that events
reference, so the largest table stays narrow.
"""

from django.db import models

from orgunits.models import Member
from orgunits.tenancy import OUOwnedModel


class Account(OUOwnedModel):
    """A company that leads belong to (account-based marketing)."""

    id = models.BigAutoField(primary_key=True)
    account_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "account_id"], name="account_unique_per_ou"),
        ]

    def __str__(self) -> str:
        return self.account_id


class Lead(OUOwnedModel):
    id = models.BigAutoField(primary_key=True)
    lead_id = models.CharField(max_length=200)
    account = models.ForeignKey(Account, null=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    metadata = models.JSONField(default=dict)
    merged_into = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The client's id names one lead per OU; lookups by it use this index.
            models.UniqueConstraint(fields=["unit", "lead_id"], name="lead_unique_per_ou"),
        ]
        indexes = [
            # Lead lists, newest first, and `range` filters on created_at.
            models.Index(fields=["unit", "-created_at"], name="lead_unit_created"),
            # Search by id prefix (LIKE 'q%'): under a non-C collation the unique index above
            # cannot serve it, a pattern_ops one can.
            models.Index(
                fields=["unit", "lead_id"],
                name="lead_unit_id_prefix",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.lead_id


class LeadAlias(OUOwnedModel):
    class Kind(models.TextChoices):
        EXTERNAL_ID = "external_id"
        EMAIL = "email"
        PHONE = "phone"
        COOKIE = "cookie"
        SOCIAL = "social"

    # Resolution order when several aliases of one event match different leads.
    PRIORITY = (Kind.EXTERNAL_ID, Kind.EMAIL, Kind.PHONE, Kind.COOKIE, Kind.SOCIAL)

    id = models.BigAutoField(primary_key=True)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    raw_value = models.CharField(max_length=320)
    normalized_value = models.CharField(max_length=320)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # An alias identifies one lead per OU; resolution looks aliases up by this index.
            models.UniqueConstraint(
                fields=["unit", "kind", "normalized_value"], name="alias_unique_per_ou"
            ),
        ]
        indexes = [
            # Aliases of a lead (reads, merge, delete).
            models.Index(fields=["lead"], name="alias_lead"),
            # Search by alias value prefix across kinds.
            models.Index(
                fields=["unit", "normalized_value"],
                name="alias_unit_value",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.normalized_value}"
