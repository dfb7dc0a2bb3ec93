from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.jobs import job_progress_share
from orgunits.api.base import ApiView
from scoring.selectors.rescore import rescore_job_latest
from scoring.services.rescore import rescore_start


class RescoreJobOut(serializers.Serializer):
    job_id = StrictCharField(source="public_id")
    ruleset_id = serializers.SerializerMethodField()
    status = StrictCharField()
    leads_total = serializers.IntegerField(source="progress_total", allow_null=True)
    leads_done = serializers.IntegerField(source="progress_done")
    progress = serializers.SerializerMethodField(help_text="Share of the leads done, 0..1.")
    error = StrictCharField()
    created_at = RFC3339DateTimeField()
    started_at = RFC3339DateTimeField(allow_null=True)
    finished_at = RFC3339DateTimeField(allow_null=True)

    def get_ruleset_id(self, job) -> str | None:
        return job.ruleset.public_id if job.ruleset else None

    def get_progress(self, job) -> float:
        return job_progress_share(job)


class RulesetRescoreView(ApiView):
    @extend_schema(
        request=None,
        responses={202: RescoreJobOut},
        summary="Rescore: replay every lead of the OU under the current rules (OU-scoped)",
        description=(
            "Answers 202 with the job; a worker replays the OU's leads from their stored "
            "events, so scores, event scores and levels follow the current configuration "
            "(every active ruleset is recomputed: a replay is the canonical score). While a "
            "job of the OU waits to start, that job is answered."
        ),
    )
    def post(self, request, ruleset_id):
        job = rescore_start(ou=request.ou, member=request.member, ruleset_id=ruleset_id)
        return Response(RescoreJobOut(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses=RescoreJobOut,
        summary="The latest rescore job of a ruleset, with its progress (OU-scoped)",
        description="404 when the ruleset has never been rescored.",
    )
    def get(self, request, ruleset_id):
        return Response(
            RescoreJobOut(rescore_job_latest(ou=request.ou, ruleset_id=ruleset_id)).data
        )
