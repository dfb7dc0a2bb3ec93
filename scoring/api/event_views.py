"""Event ingestion routes: one event, and batches of up to 1,000."""

import threading

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from leadvibe.api.errors import application_error_body, validation_details
from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.api.query import validated
from leadvibe.exceptions import ApplicationError
from orgunits.api.base import ApiView
from scoring.api.event_read_views import events_list_response, events_list_schema
from scoring.ingestion.services.event_store import StoredEvent
from scoring.ingestion.services.events import (
    TIMESTAMP_BOUNDS,
    EventInput,
    event_ingest,
    events_ingest_batch,
)
from scoring.models import LeadAlias
from scoring.services.leads import AliasInput

MAX_BATCH = 1000


class AliasIn(serializers.Serializer):
    alias_kind = serializers.ChoiceField(choices=LeadAlias.Kind.choices)
    raw_value = StrictCharField(max_length=320, trim_whitespace=False)


class EventIn(serializers.Serializer):
    lead_id = StrictCharField(max_length=200, required=False, allow_null=True)
    aliases = AliasIn(many=True, required=False, max_length=20)
    alias_kind = serializers.ChoiceField(
        choices=LeadAlias.Kind.choices, required=False, help_text="Deprecated: use aliases."
    )
    alias = StrictCharField(max_length=320, required=False, help_text="Deprecated: use aliases.")
    event_type = StrictCharField(
        allow_blank=True, trim_whitespace=False, help_text="1 to 100 printable characters"
    )
    timestamp = RFC3339DateTimeField(
        required=False,
        help_text="When it happened: from 1970-01-01T00:00:00Z to 5 minutes after now; "
        "defaults to now",
        error_messages={"out_of_range": TIMESTAMP_BOUNDS},
    )
    metadata = serializers.DictField(required=False, help_text="JSON object, at most 100 KB")
    idempotency_key = StrictCharField(
        max_length=255, required=False, help_text="Or the Idempotency-Key header; 7 days per OU"
    )

    def validate(self, attrs):
        if ("alias_kind" in attrs) != ("alias" in attrs):
            raise serializers.ValidationError(
                {"alias": ["alias_kind and alias (deprecated) go together."]}
            )
        return attrs


def event_input(data: dict, *, idempotency_key: str | None = None) -> EventInput:
    aliases = [AliasInput(a["alias_kind"], a["raw_value"]) for a in data.get("aliases", [])]
    if "alias_kind" in data:
        aliases.append(AliasInput(data["alias_kind"], data["alias"]))
    return EventInput(
        event_type=data["event_type"],
        metadata=data.get("metadata", {}),
        occurred_at=data.get("timestamp"),
        lead_id=data.get("lead_id"),
        aliases=aliases,
        idempotency_key=data.get("idempotency_key") or idempotency_key,
    )


IngestOut = inline_serializer(
    "EventIngested",
    {
        "message": StrictCharField(),
        "event_id": StrictCharField(),
        "lead_id": StrictCharField(),
        "metadata": serializers.DictField(),
        "alias_conflicts": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


IDEMPOTENCY_DOC = (
    "202: stored. An idempotency key (7 days per OU) sent again with the same event answers "
    "200 with the first answer (header `Idempotent-Replayed: true`) and stores nothing; with "
    "a different event (another type, lead, aliases, timestamp or metadata) it answers 409, "
    "naming the first event in `details.event_id`."
)


class EventsView(ApiView):
    @events_list_schema
    def get(self, request):
        return events_list_response(request)

    @extend_schema(
        request=EventIn,
        responses={202: IngestOut, 200: IngestOut},
        parameters=[OpenApiParameter("Idempotency-Key", location="header", required=False)],
        summary="Ingest one engagement event",
        description=IDEMPOTENCY_DOC,
    )
    def post(self, request):
        data = _event_parser().run_validation(request.data)
        header_key = request.headers.get("Idempotency-Key")
        result = event_ingest(ou=request.ou, event=event_input(data, idempotency_key=header_key))
        if result.duplicate:
            headers = {"Idempotent-Replayed": "true"}
            return Response(ingest_response(result), status=status.HTTP_200_OK, headers=headers)
        return Response(ingest_response(result), status=status.HTTP_202_ACCEPTED)


class EventBatchView(ApiView):
    class EventBatchIn(serializers.Serializer):
        # Items are checked one by one in the view, so that each gets its own result.
        events = serializers.ListField(min_length=1, max_length=MAX_BATCH)

    @extend_schema(
        request=inline_serializer("EventBatch", {"events": EventIn(many=True)}),
        responses={
            202: inline_serializer(
                "EventBatchResult",
                {
                    "accepted": serializers.IntegerField(),
                    "failed": serializers.IntegerField(),
                    "results": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
        summary="Ingest up to 1,000 events; each item is validated on its own",
        description="Each item's `status` is what `POST /events` would answer for it. "
        + IDEMPOTENCY_DOC,
    )
    def post(self, request):
        batch = validated(self.EventBatchIn, request.data)
        items = _parse_items(batch["events"])
        outcomes = events_ingest_batch(ou=request.ou, events=items)
        accepted = sum(1 for outcome in outcomes if isinstance(outcome, StoredEvent))
        body = {
            "accepted": accepted,
            "failed": len(outcomes) - accepted,
            "results": [
                {"index": index, **_item_result(outcome)} for index, outcome in enumerate(outcomes)
            ],
        }
        if not accepted:
            # Still the API's error shape, with the per-item results beside it.
            error = {"status": 400, "error": "No event of the batch was accepted"}
            return Response({**error, **body}, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_202_ACCEPTED)


def ingest_response(stored: StoredEvent) -> dict:
    body = {
        "message": "event ingested",
        "event_id": stored.public_id,
        "lead_id": stored.lead_id,
        "metadata": stored.metadata,
    }
    if stored.alias_conflicts:
        body["alias_conflicts"] = stored.alias_conflicts
    return body


def _item_result(outcome: StoredEvent | ApplicationError) -> dict:
    """A batch item's result: what `POST /events` would answer for it, `status` included."""
    if isinstance(outcome, ApplicationError):
        return application_error_body(outcome)
    return {"status": 200 if outcome.duplicate else 202, **ingest_response(outcome)}


_parsers = threading.local()


def _event_parser() -> EventIn:
    """A serializer per thread, used for every event it parses: DRF deep-copies a
    serializer's fields for each new instance, which costs more than the rest of an item's
    parsing. Validation keeps no state on the instance, so reuse is safe."""
    parser = getattr(_parsers, "event", None)
    if parser is None:
        parser = _parsers.event = EventIn()
    return parser


def _parse_items(raw_items: list) -> list[EventInput | ApplicationError]:
    parser = _event_parser()
    items: list[EventInput | ApplicationError] = []
    for raw in raw_items:
        try:
            items.append(event_input(parser.run_validation(raw)))
        except serializers.ValidationError as exc:
            details = validation_details(exc.detail)
            items.append(ApplicationError("Validation failed", details=details))
    return items
