"""CSV import routes: upload a file of events (answered 202 with a job), follow the job."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.api.query import validated
from leadvibe.jobs import job_progress_share
from orgunits.api.base import ApiView
from scoring.ingestion.services.imports import (
    import_job_create,
    import_job_get,
    import_job_ignored_columns,
)
from scoring.models import ImportJob


class ImportRowErrorOut(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row as a spreadsheet shows it: the header is 1")
    column = StrictCharField(allow_null=True, help_text="Null when the row is unreadable")
    message = StrictCharField()


class EventImportJobOut(serializers.Serializer):
    id = StrictCharField()
    status = serializers.ChoiceField(choices=ImportJob.Status.choices)
    file_name = StrictCharField()
    rows_total = serializers.IntegerField(
        source="progress_total",
        allow_null=True,
        help_text="Data rows in the file; null until the worker counted them",
    )
    rows_done = serializers.IntegerField(
        source="progress_done", help_text="Data rows processed, failed ones included"
    )
    rows_failed = serializers.IntegerField()
    rows_succeeded = serializers.SerializerMethodField(help_text="Events stored")
    progress = serializers.SerializerMethodField(help_text="0 to 1")
    ignored_columns = serializers.SerializerMethodField()
    errors = ImportRowErrorOut(many=True, help_text="The first 100 problems, by row")
    failure = StrictCharField(source="error", help_text="Why a failed job stopped; empty otherwise")
    created_at = RFC3339DateTimeField()
    started_at = RFC3339DateTimeField(allow_null=True)
    finished_at = RFC3339DateTimeField(allow_null=True)

    def get_rows_succeeded(self, job) -> int:
        return job.progress_done - job.rows_failed

    def get_progress(self, job) -> float:
        return job_progress_share(job)

    def get_ignored_columns(self, job) -> list[str]:
        return import_job_ignored_columns(job)


class EventImportView(ApiView):
    parser_classes = [MultiPartParser]

    class EventImportIn(serializers.Serializer):
        file = serializers.FileField(
            help_text=(
                "UTF-8 CSV with a header row. Columns: event_type (required), lead_id, "
                "timestamp (RFC 3339 with offset), metadata (JSON object), external_id, "
                "email, phone, cookie, social; others are ignored. At most 50 MB."
            )
        )

    class EventImportAcceptedOut(EventImportJobOut):
        message = StrictCharField()

    @extend_schema(
        request={"multipart/form-data": EventImportIn},
        responses={202: EventImportAcceptedOut},
        summary="Import events from a CSV file; rows are processed asynchronously",
        description=(
            "The file is refused (400, nothing stored) when it is over 50 MB, not UTF-8 or "
            "has no event_type column. Each data row becomes an event (source `csv`) with "
            "the rules and lead resolution of POST /events; a bad row becomes a row error "
            "of the job and never stops the others. Follow the job at /events/imports/{id}."
        ),
    )
    def post(self, request):
        data = validated(self.EventImportIn, request.data)
        job = import_job_create(ou=request.ou, created_by=request.member, upload=data["file"])
        body = {"message": "import queued", **EventImportJobOut(job).data}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class EventImportJobView(ApiView):
    @extend_schema(
        responses={200: EventImportJobOut},
        summary="Status and row errors of an import",
        description=(
            "`row` is the row a spreadsheet shows (the header is row 1). `rows_done` counts "
            "processed rows, failed ones included; unknown columns are listed in "
            "`ignored_columns` and as errors of row 1."
        ),
    )
    def get(self, request, job_id: str):
        job = import_job_get(ou=request.ou, job_id=job_id)
        return Response(EventImportJobOut(job).data)
