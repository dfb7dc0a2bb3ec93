"""Level routes: `/levels/engagement`, `/levels/profile` and `/levels/account` (ABM only).

Levels are inclusive score ranges (`max_score` null: no upper bound) that must not overlap
within their kind; the last level of a kind cannot be deleted. A new OU starts with Cold 0-24,
Warm 25-49, Hot 50-74 and Very Hot 75+ of each kind.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from leadvibe.api.fields import StrictCharField
from leadvibe.exceptions import PermissionDeniedError
from orgunits.api.base import ApiView
from scoring.api.config_fields import MAX_SCORE_BOUND, WholeNumberField, partial_serializer
from scoring.api.config_views import ConfigObjectOutput
from scoring.models import Level
from scoring.selectors.config import abm_enabled, levels_list
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


LevelUpdateInput = partial_serializer(LevelInput, "LevelUpdateInput")


class LevelsBaseView(ApiView):
    kind = Level.Kind.ENGAGEMENT

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.kind == Level.Kind.ACCOUNT and not abm_enabled(ou=request.ou):
            raise PermissionDeniedError(
                "Account-based marketing is not enabled for this organization (abm_enabled)"
            )


class LevelsListView(LevelsBaseView):
    @extend_schema(responses=LevelOutput(many=True))
    def get(self, request):
        return Response(LevelOutput(levels_list(ou=request.ou, kind=self.kind), many=True).data)

    @extend_schema(request=LevelInput, responses={201: LevelOutput})
    def post(self, request):
        data = LevelInput(data=request.data)
        data.is_valid(raise_exception=True)
        level = levels.level_create(
            ou=request.ou, member=request.member, kind=self.kind, **data.validated_data
        )
        return Response(LevelOutput(level).data, status=status.HTTP_201_CREATED)


class LevelDetailView(LevelsBaseView):
    @extend_schema(request=LevelUpdateInput, responses=LevelOutput)
    def put(self, request, level_id):
        data = LevelUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        level = levels.level_update(
            ou=request.ou,
            member=request.member,
            kind=self.kind,
            level_id=level_id,
            **data.validated_data,
        )
        return Response(LevelOutput(level).data)

    @extend_schema(responses={204: None})
    def delete(self, request, level_id):
        levels.level_delete(ou=request.ou, kind=self.kind, level_id=level_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _documented(kind: str, *, list_view: bool, note: str = ""):
    text = f"{LEVEL_RULES}{note}"
    if list_view:
        return extend_schema_view(
            get=extend_schema(summary=f"List {kind} levels (OU-scoped)", description=text),
            post=extend_schema(summary=f"Create {kind} level (OU-scoped)", description=text),
        )
    return extend_schema_view(
        put=extend_schema(
            summary=f"Update {kind} level (OU-scoped)",
            description=f"{text} Fields left out keep their values.",
        ),
        delete=extend_schema(
            summary=f"Delete {kind} level (OU-scoped)",
            description=f"400 for the last {kind} level of the OU.{note}",
        ),
    )


ABM_NOTE = " 403 unless the organization has `abm_enabled`."


@_documented("engagement", list_view=True)
class EngagementLevelsView(LevelsListView):
    kind = Level.Kind.ENGAGEMENT


@_documented("engagement", list_view=False)
class EngagementLevelView(LevelDetailView):
    kind = Level.Kind.ENGAGEMENT


@_documented("profile", list_view=True)
class ProfileLevelsView(LevelsListView):
    kind = Level.Kind.PROFILE


@_documented("profile", list_view=False)
class ProfileLevelView(LevelDetailView):
    kind = Level.Kind.PROFILE


@_documented("account", list_view=True, note=ABM_NOTE)
class AccountLevelsView(LevelsListView):
    kind = Level.Kind.ACCOUNT


@_documented("account", list_view=False, note=ABM_NOTE)
class AccountLevelView(LevelDetailView):
    kind = Level.Kind.ACCOUNT
