"""`score_update` messages of the live stream (`leadvibe.live`), published after commit for
each lead a batch scored and each lead a replay (merge, rescore, deleted events) changed:
`lead_id` (public), `score` (the primary ruleset's, 0 without one), `delta` (its change) and
`scores` (every ruleset's, by public id). The public ids and the primary rulesets are read in
one query per batch, after commit, off the scoring stage's hot path."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import connection

from leadvibe.live import LiveEvent, publish_live_events_of_units
from scoring.models import Lead, Ruleset


@dataclass(frozen=True, slots=True)
class ScoreChange:
    unit_id: str
    lead_pk: int
    before: Mapping[int, int]  # {ruleset pk: score}
    after: Mapping[int, int]


def score_updates_publish(changes: Sequence[ScoreChange]) -> None:
    if not changes:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.id, l.lead_id, r.id FROM {Lead._meta.db_table} l "  # noqa: S608
            f"LEFT JOIN {Ruleset._meta.db_table} r ON r.unit_id = l.unit_id AND r.is_primary "
            "WHERE l.id = ANY(%s)",
            [[change.lead_pk for change in changes]],
        )
        names = {pk: (lead_id, primary_pk) for pk, lead_id, primary_pk in cursor.fetchall()}
    events: dict[str, list[LiveEvent]] = defaultdict(list)
    for change in changes:
        if change.lead_pk not in names:  # deleted since
            continue
        lead_id, primary_pk = names[change.lead_pk]
        score = change.after.get(primary_pk, 0)
        data = {
            "lead_id": lead_id,
            "score": score,
            "delta": score - change.before.get(primary_pk, 0),
            "scores": {f"{Ruleset.ID_PREFIX}{pk}": value for pk, value in change.after.items()},
        }
        events[change.unit_id].append(("score_update", data))
    publish_live_events_of_units(events)
