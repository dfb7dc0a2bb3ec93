"""Leads, their aliases and accounts, engagement events, orders and CSV import jobs.

Every row carries `org` and `unit` (the OU); reads start from `Model.objects.for_ou(ou)`.
Leads keep the client's id (`lead_id`, unique per OU) and a bigint surrogate key that events
reference, so the largest table stays narrow.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from leadvibe.db import PrefixedIdField
from orgunits.models import Member, Organization, OrgUnit


class OUQuerySet(models.QuerySet):
    def for_ou(self, ou: OrgUnit):
        return self.filter(unit=ou)


class Account(models.Model):
    """A company that leads belong to (account-based marketing)."""

    id = models.BigAutoField(primary_key=True)
    account_id = models.CharField(max_length=200)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)
    name = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OUQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "account_id"], name="account_unique_per_ou"),
        ]

    def __str__(self) -> str:
        return self.account_id


class Lead(models.Model):
    id = models.BigAutoField(primary_key=True)
    lead_id = models.CharField(max_length=200)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)
    account = models.ForeignKey(Account, null=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    metadata = models.JSONField(default=dict)
    merged_into = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OUQuerySet.as_manager()

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


class LeadAlias(models.Model):
    class Kind(models.TextChoices):
        EXTERNAL_ID = "external_id"
        EMAIL = "email"
        PHONE = "phone"
        COOKIE = "cookie"
        SOCIAL = "social"

    # Resolution order when several aliases of one event match different leads.
    PRIORITY = (Kind.EXTERNAL_ID, Kind.EMAIL, Kind.PHONE, Kind.COOKIE, Kind.SOCIAL)

    id = models.BigAutoField(primary_key=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    raw_value = models.CharField(max_length=320)
    normalized_value = models.CharField(max_length=320)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OUQuerySet.as_manager()

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


class EngagementEvent(models.Model):
    class Channel(models.TextChoices):
        WEB = "web"
        EMAIL = "email"
        SLACK = "slack"
        WEBINAR = "webinar"
        CRM = "crm"
        SYSTEM = "system"

    class Source(models.TextChoices):
        API = "api"
        CSV = "csv"
        SEED = "seed"
        SYSTEM = "system"

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSED = "processed"

    ID_PREFIX = "ev_"

    # `seq` is the arrival order that breaks ties between equal `occurred_at` values; the
    # public id is derived from it (`ev_<seq>`), so events need no second unique index.
    seq = models.BigAutoField(primary_key=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    # The lead the event was ingested for, kept when a merge moves it to another lead.
    original_lead = models.ForeignKey(
        Lead, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    event_type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    metadata = models.JSONField(default=dict)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    idempotency_key = models.CharField(max_length=255, null=True)  # noqa: DJ001 - NULL = none
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)

    objects = OUQuerySet.as_manager()

    class Meta:
        constraints = [
            # A repeated idempotency key answers with the first event; keys older than 7 days
            # are cleared by a periodic task, which frees them for reuse.
            models.UniqueConstraint(
                fields=["unit", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="event_idempotency_per_ou",
            ),
        ]
        indexes = [
            # GET /events, export and type/channel listings: the OU's events newest first.
            models.Index(fields=["unit", "-occurred_at", "-seq"], name="event_unit_time"),
            # A lead's events in scoring order (replay, /leads/{id}/events, activity).
            models.Index(fields=["lead", "occurred_at", "seq"], name="event_lead_time"),
            # Per-type counts, properties and delete-by-type within an OU.
            models.Index(fields=["unit", "event_type"], name="event_unit_type"),
            # The pipeline's queue: only pending rows are indexed, so it stays small.
            models.Index(fields=["seq"], condition=Q(status="pending"), name="event_pending"),
            # Deleting a lead clears `original_lead` where it points to it; only merged events
            # have one, so the index holds just those.
            models.Index(
                fields=["original_lead"],
                condition=Q(original_lead__isnull=False),
                name="event_original_lead",
            ),
            # metadata=key:value filters (containment, `@>`).
            GinIndex(fields=["metadata"], name="event_metadata", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        return f"{self.ID_PREFIX}{self.seq}"


class Order(models.Model):
    id = models.BigAutoField(primary_key=True)
    order_id = models.CharField(max_length=200)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    items = models.JSONField(default=list)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OUQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "order_id"], name="order_unique_per_ou"),
        ]
        indexes = [
            # A lead's orders by time (activity stream).
            models.Index(fields=["lead", "occurred_at"], name="order_lead_time"),
            # GET /orders, newest first.
            models.Index(fields=["unit", "-occurred_at"], name="order_unit_time"),
        ]

    def __str__(self) -> str:
        return self.order_id


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    MAX_ERRORS = 100

    id = PrefixedIdField(prefix="imp")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=1024)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(null=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    objects = OUQuerySet.as_manager()

    def __str__(self) -> str:
        return self.id


class LeadDeletion(models.Model):
    """Progress of an asynchronous lead deletion; outlives the lead it deleted."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.BigAutoField(primary_key=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)
    lead_id = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    objects = OUQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["unit", "lead_id"], name="deletion_unit_lead")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.status}"
