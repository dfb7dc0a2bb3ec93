"""Settings routes of scoring: the OU's surge policy (members only), the scoring settings
(organization-wide toggles and the OU's session timeout) and the OU's event-type settings
(members only), with the deletion of all events of a type."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.fields import StrictBooleanField, StrictCharField
from leadvibe.api.query import validated
from orgunits.api.base import ApiView
from orgunits.models import Member
from scoring.api.config_fields import EventTypeField, WholeNumberField
from scoring.engine.config import PRESETS
from scoring.models import EventTypeSetting, SurgePolicy
from scoring.selectors.config import (
    event_type_delete_preview,
    event_type_setting_get,
    event_type_settings_list,
    scoring_settings_get,
    surge_policy_view,
)
from scoring.services import ou_settings

MAX_BANDS = 20
MAX_IDLE_RESET_SECONDS = 30 * 24 * 3600
MAX_SESSION_TIMEOUT_MINUTES = 7 * 24 * 60


# --- Surge policy ---------------------------------------------------------------------------


def _preset_text(mode: str) -> str:
    bands, cap = PRESETS[mode]
    steps = ", ".join(f"{k}+ events x{m}" for k, m in bands)
    return f"`{mode}`: {steps}; cap {cap}"


SURGE_RULES = (
    "A surge session is a run of a lead's unsuppressed events with gaps shorter than "
    "`idle_reset_seconds` (default: the OU's `session_timeout_minutes` x 60). The k-th event "
    "of a session gets the multiplier of the band with the largest `min_events <= k` (1 if "
    "none), capped at `multiplier_cap`; its points are `round_half_up(weight x multiplier)`. "
    "Modes: `off` (x1), `custom` (the given bands, at least one), and two fixed presets "
    "whatever bands are stored: "
    + "; ".join(_preset_text(mode) for mode in PRESETS)
    + ". The response shows the bands and cap in effect: the preset's for `standard` and "
    "`gentle`, none and 1 for `off`."
)


class SurgeBandSerializer(serializers.Serializer):
    min_events = WholeNumberField(
        min_value=1, max_value=100_000, help_text="From the k-th event of a session on"
    )
    multiplier = serializers.DecimalField(
        max_digits=3, decimal_places=2, min_value=1, max_value=3, help_text="1 to 3"
    )


class SurgePolicyOutput(serializers.Serializer):
    org_id = StrictCharField()
    unit_id = StrictCharField()
    mode = serializers.ChoiceField(choices=SurgePolicy.Mode.choices)
    bands = SurgeBandSerializer(many=True)
    idle_reset_seconds = serializers.IntegerField()
    multiplier_cap = serializers.DecimalField(max_digits=3, decimal_places=2)


class SurgePolicyInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=SurgePolicy.Mode.choices, required=False)
    bands = serializers.ListField(
        child=SurgeBandSerializer(),
        max_length=MAX_BANDS,
        required=False,
        help_text="Required (at least one) for `custom`; kept, not used, by the other modes",
    )
    idle_reset_seconds = WholeNumberField(
        min_value=1,
        max_value=MAX_IDLE_RESET_SECONDS,
        allow_null=True,
        required=False,
        help_text="null: the OU's session timeout",
    )
    multiplier_cap = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=1,
        max_value=3,
        required=False,
        help_text="1 to 3 (custom mode; default 2)",
    )


class SurgePolicyView(ApiView):
    jwt_only = True

    @extend_schema(
        responses=SurgePolicyOutput,
        summary="Get the OU's surge session policy",
        description=f"When the OU stored none: the `standard` preset. {SURGE_RULES}",
    )
    def get(self, request):
        return Response(SurgePolicyOutput(surge_policy_view(ou=request.ou)).data)

    @extend_schema(
        request=SurgePolicyInput,
        responses=SurgePolicyOutput,
        summary="Create or update the OU's surge session policy",
        description=f"Fields left out keep their values. {SURGE_RULES}",
    )
    def put(self, request):
        data = validated(SurgePolicyInput, request.data)
        ou_settings.surge_policy_set(ou=request.ou, **data)
        return Response(SurgePolicyOutput(surge_policy_view(ou=request.ou)).data)


# --- Scoring settings -----------------------------------------------------------------------


class ScoringSettingsSerializer(serializers.Serializer):
    allow_negative_scores = StrictBooleanField(
        required=False, help_text="Organization-wide: scores may fall below 0 (org admins)"
    )
    abm_enabled = StrictBooleanField(
        required=False, help_text="Organization-wide: account-based marketing (org admins)"
    )
    session_timeout_minutes = WholeNumberField(
        min_value=1,
        max_value=MAX_SESSION_TIMEOUT_MINUTES,
        required=False,
        help_text="The OU's session idle timeout; the default surge idle reset",
    )


class ScoringSettingsView(ApiView):
    @extend_schema(
        responses=ScoringSettingsSerializer,
        summary="Get scoring settings",
        description="The organization's toggles and the active OU's session timeout.",
    )
    def get(self, request):
        return Response(ScoringSettingsSerializer(scoring_settings_get(ou=request.ou)).data)

    @extend_schema(
        request=ScoringSettingsSerializer,
        responses=ScoringSettingsSerializer,
        summary="Update scoring settings",
        description=(
            "Fields left out keep their values. Changing `allow_negative_scores` or "
            "`abm_enabled` (organization-wide) needs an org admin: 403 otherwise."
        ),
    )
    def put(self, request):
        data = validated(ScoringSettingsSerializer, request.data)
        member = request.member
        ou_settings.scoring_settings_set(
            ou=request.ou,
            org_admin=member is not None and member.role == Member.OrgRole.ADMIN,
            **data,
        )
        return Response(ScoringSettingsSerializer(scoring_settings_get(ou=request.ou)).data)


# --- Event-type settings --------------------------------------------------------------------


class EventTypeSettingOutput(serializers.Serializer):
    event_type = StrictCharField()
    hidden = StrictBooleanField(
        help_text="Left out of type lists and analytics; new events are not scored"
    )
    max_processing_scope = serializers.ChoiceField(
        choices=EventTypeSetting.Scope.choices,
        help_text="observe: stored only; decide: scored, no triggers; activate: both",
    )
    events_count = serializers.IntegerField(help_text="The OU's events of this type")


class EventTypeSettingInput(serializers.Serializer):
    hidden = StrictBooleanField(required=False)
    max_processing_scope = serializers.ChoiceField(
        choices=EventTypeSetting.Scope.choices, required=False
    )


class EventTypePath(serializers.Serializer):
    event_type = EventTypeField()


UNKNOWN_TYPE = "404 when the OU has neither events of the type nor a setting for it."


class EventTypeSettingsView(ApiView):
    jwt_only = True

    @extend_schema(
        responses=EventTypeSettingOutput(many=True),
        summary="List event types with OU visibility and counts",
        description=(
            "Every event type the active OU has events of or a setting for, sorted, with its "
            "setting (hidden: false, max_processing_scope: activate when none was set)."
        ),
    )
    def get(self, request):
        return Response(
            EventTypeSettingOutput(event_type_settings_list(ou=request.ou), many=True).data
        )


class EventTypeSettingView(ApiView):
    jwt_only = True

    @extend_schema(
        request=EventTypeSettingInput,
        responses=EventTypeSettingOutput,
        summary="Set OU visibility and processing scope of an event type",
        description=(
            "Fields left out keep their values. A type the OU has no events of yet gets its "
            "setting all the same (hide or scope a type before its first event arrives); "
            "the type must be one events can carry (1 to 100 printable characters, 400 "
            "otherwise)."
        ),
    )
    def put(self, request, event_type):
        validated(EventTypePath, {"event_type": event_type})
        data = validated(EventTypeSettingInput, request.data)
        ou_settings.event_type_setting_set(ou=request.ou, event_type=event_type, **data)
        return Response(
            EventTypeSettingOutput(
                event_type_setting_get(ou=request.ou, event_type=event_type)
            ).data
        )


class EventTypeDeletePreviewView(ApiView):
    jwt_only = True

    @extend_schema(
        responses=inline_serializer(
            "EventTypeDeletePreview",
            {
                "events_count": serializers.IntegerField(),
                "event_scores_count": serializers.IntegerField(),
            },
        ),
        summary="Dry run: what deleting all events of a type would delete (OU)",
        description=UNKNOWN_TYPE,
    )
    def get(self, request, event_type):
        preview = event_type_delete_preview(ou=request.ou, event_type=event_type)
        return Response(
            {
                "events_count": preview.events_count,
                "event_scores_count": preview.event_scores_count,
            }
        )


class EventTypeEventsView(ApiView):
    jwt_only = True

    @extend_schema(
        responses=inline_serializer(
            "EventTypeEventsDeleted",
            {
                "events_deleted": serializers.IntegerField(),
                "event_scores_deleted": serializers.IntegerField(),
            },
        ),
        summary="Delete all events of a type in the active OU",
        description=(
            "Deletes the events and their event scores; the type's setting stays. Lead scores "
            f"are not recomputed (rescore the rulesets for that). {UNKNOWN_TYPE}"
        ),
    )
    def delete(self, request, event_type):
        deleted = ou_settings.event_type_events_delete(ou=request.ou, event_type=event_type)
        return Response(
            {
                "events_deleted": deleted.events_count,
                "event_scores_deleted": deleted.event_scores_count,
            }
        )
