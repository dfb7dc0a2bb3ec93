"""What leads did: engagement events (the largest table) and orders."""

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from orgunits.models import Organization, OrgUnit
from orgunits.tenancy import OUOwnedModel
from scoring.models.leads import Lead


class EngagementEvent(OUOwnedModel):
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
    # The metadata key naming the event's account: written from the lead's account by the
    # event-accounts backfill; on events of a lead without an account, the account backfill
    # links the lead to the account it names.
    ACCOUNT_ID_KEY = "accountId"

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
    # SHA-256 of the canonical body sent with the key (event_store.PreparedEvent.body_hash): a
    # repeat with another body is refused. NULL without a key, and for keys stored before.
    idempotency_hash = models.CharField(max_length=64, null=True)  # noqa: DJ001
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Set by scoring (§4): metadata_filter, inorganic, inorganic_grouped, hidden_type.
    suppression_reason = models.CharField(max_length=20, null=True)  # noqa: DJ001 - NULL = none

    class Meta:
        constraints = [
            # A repeated idempotency key answers with the first event (409 with another
            # body); keys older than 7 days are cleared by a periodic task, which frees them.
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


class Order(OUOwnedModel):
    id = models.BigAutoField(primary_key=True)
    order_id = models.CharField(max_length=200)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    items = models.JSONField(default=list)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

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
