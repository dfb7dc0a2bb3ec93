"""Import, lead-deletion and rescore jobs on the durable-job base (leadvibe.jobs): progress
fields renamed to progress_total/progress_done, ImportJob.failure to error,
LeadDeletion.requested_at to created_at (data kept); attempts and a lease added (a running
job has no lease yet, so the first claim takes it over, as the old sweeps did)."""

from django.db import migrations, models
from django.db.models import Q


def _lease_fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name=model_name,
            name="lease_expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddIndex(
            model_name=model_name,
            index=models.Index(
                condition=Q(status__in=["pending", "running"]),
                fields=["created_at"],
                name=f"{model_name}_unfinished",
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0009_event_idempotency_hash"),
    ]

    operations = [
        migrations.RenameField("importjob", "rows_total", "progress_total"),
        migrations.RenameField("importjob", "rows_done", "progress_done"),
        migrations.RenameField("importjob", "failure", "error"),
        migrations.RenameField("rescorejob", "leads_total", "progress_total"),
        migrations.RenameField("rescorejob", "leads_done", "progress_done"),
        migrations.RenameField("leaddeletion", "requested_at", "created_at"),
        migrations.AddField(
            model_name="leaddeletion",
            name="started_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="leaddeletion",
            name="progress_total",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="leaddeletion",
            name="progress_done",
            field=models.PositiveIntegerField(default=0),
        ),
        *_lease_fields("importjob"),
        *_lease_fields("leaddeletion"),
        *_lease_fields("rescorejob"),
    ]
