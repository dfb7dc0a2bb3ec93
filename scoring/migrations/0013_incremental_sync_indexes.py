"""Indexes for incremental sync (GET /events?received_since=, GET /leads?updated_since=):

- event_unit_received (unit, received_at, seq) on the events: the sync feed is the OU's events
  in arrival order from a point, read a page at a time after a cursor;
- lead_unit_updated (unit, updated_at, lead_id) on the leads and scoring_state_unit_updated
  (unit, updated_at) on the scoring states: the lead feed reads the leads whose row changed
  and those whose scores changed from a point, each part in its own index's order.

Without them each page reads every event (or lead) of the OU. Created with SQL and left out of
the models' state like 0007: the models are shared, and these indexes change no query Django
writes. `CONCURRENTLY` keeps ingestion and scoring going while they are built.
"""

from django.db import migrations

INDEXES = {
    "event_unit_received": "scoring_engagementevent (unit_id, received_at, seq)",
    "lead_unit_updated": "scoring_lead (unit_id, updated_at, lead_id)",
    "scoring_state_unit_updated": "scoring_leadscoringstate (unit_id, updated_at)",
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("scoring", "0012_backfill_jobs"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table_columns}",
            reverse_sql=f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        )
        for name, table_columns in INDEXES.items()
    ]
