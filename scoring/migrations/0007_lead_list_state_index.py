"""An index for GET /leads filtered by the lead's last event type (and last activity):
scoring_state_type_activity (unit, last_event_type, last_activity_at) on the scoring states.

When such a filter keeps few leads, the list gathers them through this index rather than
walking the score ranking (see scoring/selectors/lead_list.py); without it PostgreSQL reads the
whole state table. The existing (unit, last_activity_at) index serves `last_active` alone.

Created with SQL and left out of the models' state: the model (scoring.models) is shared, and
this index changes no query Django writes. `CONCURRENTLY` keeps writes of the states going
while it is built on a large table.
"""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("scoring", "0006_rescore_jobs"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS scoring_state_type_activity "
                "ON scoring_leadscoringstate (unit_id, last_event_type, last_activity_at)"
            ),
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS scoring_state_type_activity",
        ),
    ]
