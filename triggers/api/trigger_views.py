"""Trigger configuration routes: `/triggers/milestones`, `/triggers/sequences`,
`/triggers/patterns`, `/surge/triggers` and `/triggers/segments`, each with `/{id}` (PUT,
DELETE) and, except patterns and segments, `/{id}/simulate`.

The kinds share one pair of views (`TriggersView`, `TriggerView`) configured by a
`TriggerKind`. Triggers are named `tr_<n>`; an id of another OU or of another kind answers
404. Viewers read, Operators write; API credentials (Basic) may call every route. PUT changes
only the fields it is given. Every write bumps the OU's configuration version, which workers
pick up before their next batch.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.config_resource import ConfigObjectOutput, ConfigResource, ResourceDocs
from leadvibe.api.fields import (
    RFC3339DateTimeField,
    StrictBooleanField,
    StrictCharField,
    WholeItemsField,
)
from leadvibe.api.query import validated
from orgunits.api.base import ApiView
from scoring.api.config_fields import (
    MAX_SCORE_BOUND,
    EventTypeField,
    PublicKeyField,
    WholeNumberField,
)
from segments.models import Segment
from triggers.api.trigger_fields import (
    MAX_COUNT,
    BlankAsNullField,
    CooldownSecondsField,
    FireModeField,
    LeadFilterInput,
    LeadFilterOutput,
    OptionalChoiceField,
    OptionalEventTypeField,
    OptionalTextField,
    OutboundURLField,
    PatternConditionSerializer,
    WindowSecondsField,
    WindowUnitField,
)
from triggers.models import Trigger
from triggers.selectors import triggers_list
from triggers.services.simulation import MAX_LISTED_LEADS, TriggerSimulation
from triggers.services.templating import MAX_TEMPLATE_LENGTH
from triggers.services.trigger_config import (
    PRIMARY_PROFILE_SCORE,
    trigger_create,
    trigger_delete,
    trigger_simulate,
    trigger_update,
)

Kind = Trigger.Kind
MAX_EMAILS = 50
MAX_STEPS = 20
MAX_CONDITIONS = 20
MAX_LEAD_FILTERS = 20
MAX_SIMULATED_DAYS = 365

# --- Serializers ----------------------------------------------------------------------------


class TriggerInput(serializers.Serializer):
    """What triggers of every kind have: a name, a description, `active`, and where a firing
    is sent (every destination is optional: a firing is listed and streamed either way)."""

    name = OptionalTextField(max_length=200, default="")
    description = OptionalTextField(max_length=2000, default="")
    active = StrictBooleanField(default=True, help_text="Inactive triggers do not fire")
    webhook_url = OutboundURLField(
        default="",
        help_text="http(s) URL sent a signed POST (Standard Webhooks) per firing; its host must "
        "resolve to public addresses only (400 otherwise). null or empty: none",
    )
    emails = serializers.ListField(
        child=serializers.EmailField(),
        max_length=MAX_EMAILS,
        default=list,
        help_text=f"Up to {MAX_EMAILS} addresses notified by email",
    )
    email_subject = OptionalTextField(
        max_length=500, default="", help_text="Template (Django syntax); empty: the default"
    )
    email_preheader = OptionalTextField(max_length=500, default="", help_text="Template")
    email_message = OptionalTextField(
        max_length=MAX_TEMPLATE_LENGTH, default="", help_text="Template; empty: the default"
    )
    slack_target_kind = OptionalChoiceField(
        choices=Trigger.SlackTargetKind.choices,
        default="",
        help_text="Post to a Slack channel or user of the OU's connected workspace; with "
        "slack_target_id",
    )
    slack_target_id = OptionalTextField(max_length=100, default="")
    teams_target_kind = OptionalChoiceField(
        choices=["channel"],
        default="",
        help_text="`channel`: post to the Teams channel of the incoming webhook teams_target_id",
    )
    teams_target_id = OutboundURLField(
        default="", help_text="A Teams incoming-webhook URL (checked like webhook_url)"
    )


class TriggerOutput(ConfigObjectOutput):
    trigger_id = StrictCharField(source="public_id", help_text="`tr_<n>`")
    name = StrictCharField()
    description = StrictCharField()
    active = StrictBooleanField()
    webhook_url = StrictCharField()
    webhook_disabled_at = RFC3339DateTimeField(
        allow_null=True,
        help_text="When the receiver answered 410 Gone: nothing is sent to the URL until it "
        "is saved again",
    )
    emails = serializers.ListField(child=serializers.EmailField())
    email_subject = StrictCharField()
    email_preheader = StrictCharField()
    email_message = StrictCharField()
    slack_target_kind = StrictCharField()
    slack_target_id = StrictCharField()
    teams_target_kind = StrictCharField()
    teams_target_id = StrictCharField()


class MilestoneInput(TriggerInput):
    event_type = OptionalEventTypeField(
        default="", help_text="Only events of this type fire it; null or left out: any type"
    )
    score_threshold = WholeNumberField(
        min_value=-MAX_SCORE_BOUND,
        max_value=MAX_SCORE_BOUND,
        help_text="Fires when an event moves the primary score from below to at or above this",
    )
    fire_mode = FireModeField(
        help_text="`once`: the lead's first crossing only; `always`: every upward crossing"
    )
    cooldown_seconds = CooldownSecondsField()


class MilestoneOutput(TriggerOutput):
    event_type = BlankAsNullField(help_text="null: any type")
    score_threshold = serializers.IntegerField()
    fire_mode = StrictCharField()
    cooldown_seconds = serializers.IntegerField()


class SequenceInput(TriggerInput):
    event_types = serializers.ListField(
        child=EventTypeField(),
        source="event_steps",
        min_length=1,
        max_length=MAX_STEPS,
        help_text=f"The steps: 1 to {MAX_STEPS} event types (a type may repeat)",
    )
    window_seconds = WindowSecondsField()
    window_unit = WindowUnitField(default=Trigger.WindowUnit.SECONDS)
    ordered = StrictBooleanField(default=True, help_text="The steps must happen in this order")
    fire_mode = FireModeField(
        help_text="`once`: once per lead; `always`: each time the sequence completes anew"
    )
    profile_filters = WholeItemsField(
        child=LeadFilterInput(),
        max_length=MAX_LEAD_FILTERS,
        default=list,
        help_text=f"Conditions on the lead's profile scores, checked when the sequence "
        f"completes: `field` is `{PRIMARY_PROFILE_SCORE}` (the primary profile score) or a "
        "profile ruleset id (`prs_<n>`, its score)",
    )
    lead_attribute_filters = WholeItemsField(
        child=LeadFilterInput(),
        max_length=MAX_LEAD_FILTERS,
        default=list,
        help_text="Conditions on the lead's metadata (`field`: a key, dotted for nested "
        "objects), checked when the sequence completes",
    )
    hubspot_sync = StrictBooleanField(default=False, help_text="Stored only")


class SequenceOutput(TriggerOutput):
    event_steps = serializers.ListField(child=StrictCharField())
    window_seconds = serializers.IntegerField()
    window_unit = StrictCharField()
    ordered = StrictBooleanField()
    fire_mode = StrictCharField()
    profile_filters = LeadFilterOutput(many=True)
    lead_attribute_filters = LeadFilterOutput(many=True)
    hubspot_sync = StrictBooleanField()


class PatternInput(TriggerInput):
    window_seconds = WindowSecondsField()
    window_unit = WindowUnitField(default=Trigger.WindowUnit.SECONDS)
    conditions = WholeItemsField(
        child=PatternConditionSerializer(),
        min_length=1,
        max_length=MAX_CONDITIONS,
        help_text=f"1 to {MAX_CONDITIONS} conditions, all of which must hold within the window",
    )


class PatternOutput(TriggerOutput):
    window_seconds = serializers.IntegerField()
    window_unit = StrictCharField()
    conditions = PatternConditionSerializer(many=True)


class SurgeTriggerInput(TriggerInput):
    event_type = OptionalEventTypeField(
        default="", help_text="Only events of this type count; null or left out: any type"
    )
    window_seconds = WindowSecondsField()
    window_unit = WindowUnitField(default=Trigger.WindowUnit.SECONDS)
    threshold_count = WholeNumberField(
        min_value=1, max_value=MAX_COUNT, help_text="Events within the window that make a surge"
    )


class SurgeTriggerOutput(TriggerOutput):
    event_type = BlankAsNullField(help_text="null: any type")
    window_seconds = serializers.IntegerField()
    window_unit = StrictCharField()
    threshold_count = serializers.IntegerField()


class SegmentTriggerInput(TriggerInput):
    segment_id = serializers.RegexField(
        rf"^{Segment.ID_PREFIX}[0-9]{{1,18}}$",
        max_length=30,
        help_text=f"The OU's segment (`{Segment.ID_PREFIX}<n>`); another OU's or an unknown one "
        "is a 400",
    )
    on = serializers.ChoiceField(
        choices=Trigger.SegmentDirection.choices,
        source="segment_direction",
        help_text="`enter`: fires when a lead enters the segment; `exit`: when it leaves",
    )
    fire_mode = FireModeField(
        help_text="`once`: the lead's first entry (or exit) only; `always`: every one"
    )
    cooldown_seconds = CooldownSecondsField()


class SegmentTriggerOutput(TriggerOutput):
    segment_id = PublicKeyField(Segment.ID_PREFIX, help_text=f"`{Segment.ID_PREFIX}<n>`")
    on = StrictCharField(source="segment_direction", help_text="`enter` or `exit`")
    fire_mode = StrictCharField()
    cooldown_seconds = serializers.IntegerField()


class SimulateInput(serializers.Serializer):
    lead_id = StrictCharField(
        max_length=200,
        required=False,
        allow_null=True,
        help_text="Test this lead of the OU only (404 when unknown); left out: every lead "
        "active in the period",
    )
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_SIMULATED_DAYS, default=30, help_text="Days to look back"
    )


SimulationOutput = inline_serializer(
    "TriggerSimulation",
    {
        "would_fire": StrictBooleanField(),
        "matched_leads": serializers.ListField(
            child=StrictCharField(), help_text=f"At most {MAX_LISTED_LEADS} lead ids"
        ),
        "total_matches": serializers.IntegerField(help_text="Firings over all leads"),
        "message": StrictCharField(),
    },
)


# --- Views ----------------------------------------------------------------------------------


def _triggers(
    kind: str, name: str, input: type[TriggerInput], output: type[TriggerOutput], rules: str
) -> ConfigResource:
    noun = f"{kind} trigger"
    return ConfigResource(
        name=name,
        base=ApiView,
        input=input,
        output=output,
        selector=triggers_list,
        create=trigger_create,
        update=trigger_update,
        delete=trigger_delete,
        docs=ResourceDocs(
            noun=noun,
            on_list=f"The OU's {noun}s, oldest first.",
            about=rules,
            on_create=WRITE_ERRORS,
            on_update=f"{WRITE_ERRORS} Saving `webhook_url` again resumes deliveries to a URL "
            "that answered 410.",
            on_delete="Deletes what it fired (its emitted events) and their deliveries.",
        ),
        scope={"kind": kind},
    )


WRITE_ERRORS = (
    "`webhook_url` and `teams_target_id` must be http(s) URLs whose host resolves to public "
    "addresses; email templates must compile; a Slack or Teams target kind needs its id."
)
MILESTONES = _triggers(
    Kind.MILESTONE,
    "Milestone",
    MilestoneInput,
    MilestoneOutput,
    "Fires when an event (of `event_type`, or of any type) moves the lead's primary score "
    "from below `score_threshold` to at or above it; `once` fires on the first crossing, "
    "`always` on each, at most once per `cooldown_seconds`. Dropping back below is recorded "
    "as a `milestone_exited` event (listed, not notified).",
)
SEQUENCES = _triggers(
    Kind.SEQUENCE,
    "Sequence",
    SequenceInput,
    SequenceOutput,
    "Fires when the lead's events contain every step within `window_seconds` (in order when "
    "`ordered`) and the lead passes the filters. Requests name the steps `event_types`; "
    "responses `event_steps`. `webhook_url` is optional (the spec requires it): a sequence may "
    "notify by email, Slack or Teams only, or just be listed.",
)
PATTERNS = _triggers(
    Kind.PATTERN,
    "Pattern",
    PatternInput,
    PatternOutput,
    "Fires when, within `window_seconds`, the lead has at least `min_count` events of each "
    "condition's type (and metadata), then starts counting anew.",
)
SURGE_TRIGGERS = _triggers(
    Kind.SURGE,
    "SurgeTrigger",
    SurgeTriggerInput,
    SurgeTriggerOutput,
    "Fires when the lead's scored events (of `event_type`, or of any type) within the rolling "
    "window reach `threshold_count`, once per burst; each firing is a surge event. Exactly "
    "one of `webhook_url` and `emails` is required (400 otherwise); Slack and Teams targets "
    "may be added to it.",
)
SEGMENT_TRIGGERS = _triggers(
    Kind.SEGMENT,
    "SegmentTrigger",
    SegmentTriggerInput,
    SegmentTriggerOutput,
    "Fires when a lead enters (`on: enter`) or leaves (`on: exit`) the segment because the "
    "lead changed: an event, decay, a metadata write or a merge. A recompute after a rule "
    "change or an activation, or a rescore, never fires, nor does a change made before the "
    "trigger was created. Each firing is listed under `/triggers/segments/events` "
    "(`segment_entered` / `segment_exited`); its webhook `data` has `event: null` and adds "
    "`segment` (id, name), `direction`, `cause` and `at`. Deleting the segment deletes its "
    "triggers with what they fired.",
)


class TriggerSimulateView(ApiView):
    trigger_kind: str

    def post(self, request, trigger_id):
        data = validated(SimulateInput, request.data)
        simulation = trigger_simulate(
            ou=request.ou,
            kind=self.trigger_kind,
            trigger_id=trigger_id,
            lead_id=data.get("lead_id"),
            days=data["days"],
        )
        return Response(simulation_body(simulation))


def simulation_body(simulation: TriggerSimulation) -> dict:
    scope = (
        f"lead {simulation.lead_id}"
        if simulation.lead_id is not None
        else f"{simulation.leads_simulated} leads active"
    )
    return {
        "would_fire": simulation.total_matches > 0,
        "matched_leads": simulation.matched_lead_ids,
        "total_matches": simulation.total_matches,
        "message": f"{simulation.total_matches} firing(s) for {simulation.leads_matched} lead(s) "
        f"over the last {simulation.days} days ({scope}; scored with the current configuration)",
    }


def simulate_view(resource: ConfigResource) -> type[ApiView]:
    return extend_schema_view(
        post=extend_schema(
            request=SimulateInput,
            responses=SimulationOutput,
            summary=f"Simulate a {resource.docs.noun} (OU-scoped)",
            description=(
                "What the trigger would have fired over the last `days` days: for one lead, or "
                "for the leads active in the period, scored with the current configuration "
                "from their processed events. Nothing is stored or sent. Operators and up (a "
                "simulation replays the OU's recent events)."
            ),
        ),
    )(
        type(
            f"{resource.name}SimulateView",
            (TriggerSimulateView,),
            {"trigger_kind": resource.scope["kind"]},
        )
    )


MilestoneSimulateView = simulate_view(MILESTONES)
SequenceSimulateView = simulate_view(SEQUENCES)
SurgeTriggerSimulateView = simulate_view(SURGE_TRIGGERS)
