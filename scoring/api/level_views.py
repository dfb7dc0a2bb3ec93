"""Level resources: `/levels/engagement`, `/levels/profile` and `/levels/account` (ABM only).

Levels are inclusive score ranges (`max_score` null: no upper bound) that must not overlap
within their kind; the last level of a kind cannot be deleted. A new OU starts with Cold 0-24,
Warm 25-49, Hot 50-74 and Very Hot 75+ of each kind.
"""

from rest_framework import serializers

from leadvibe.api.config_resource import ConfigObjectOutput, ConfigResource, ResourceDocs
from leadvibe.api.fields import StrictCharField
from orgunits.api.base import ApiView
from scoring.api.abm import ABM_NOTE, AbmRequiredView
from scoring.api.config_fields import MAX_SCORE_BOUND, WholeNumberField
from scoring.models import Level
from scoring.selectors.config import levels_list
from scoring.services import levels

LEVEL_RULES = (
    "Levels are inclusive ranges `[min_score, max_score]` (`max_score` null: no upper bound); "
    "within a kind they must not overlap (400 naming the level overlapped). A lead's level is "
    "the one containing its score."
)


class LevelOutput(ConfigObjectOutput):
    stage_id = StrictCharField(source="public_id", help_text="`st_<n>`")
    level_id = StrictCharField(
        source="public_id", help_text="The same id (the spec's name for profile and account)"
    )
    name = StrictCharField()
    min_score = serializers.IntegerField()
    max_score = serializers.IntegerField(allow_null=True, help_text="null: no upper bound")


class LevelInput(serializers.Serializer):
    name = StrictCharField(max_length=100)
    min_score = WholeNumberField(min_value=-MAX_SCORE_BOUND, max_value=MAX_SCORE_BOUND)
    max_score = WholeNumberField(
        min_value=-MAX_SCORE_BOUND,
        max_value=MAX_SCORE_BOUND,
        allow_null=True,
        default=None,
        help_text="At least min_score; null or left out: no upper bound",
    )


def _levels(kind: Level.Kind, *, base: type[ApiView] = ApiView, note: str = "") -> ConfigResource:
    return ConfigResource(
        name=f"{kind.capitalize()}Level",
        base=base,
        input=LevelInput,
        output=LevelOutput,
        selector=levels_list,
        create=levels.level_create,
        update=levels.level_update,
        delete=levels.level_delete,
        docs=ResourceDocs(
            noun=f"{kind} level",
            about=LEVEL_RULES,
            on_update=LEVEL_RULES,
            on_delete=f"400 for the last {kind} level of the OU.",
            note=note,
        ),
        scope={"kind": kind},
    )


ENGAGEMENT_LEVELS = _levels(Level.Kind.ENGAGEMENT)
PROFILE_LEVELS = _levels(Level.Kind.PROFILE)
ACCOUNT_LEVELS = _levels(Level.Kind.ACCOUNT, base=AbmRequiredView, note=ABM_NOTE)
