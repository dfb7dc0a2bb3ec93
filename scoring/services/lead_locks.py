"""The one order in which row locks on leads and what hangs off them are taken.

    1. lead rows, in id order;
    2. their LeadScoringState rows, in lead id order;
    3. their events.

The lead row is the lead's lock: every path that writes a lead's scoring state, scores or
events holds it first: the pipeline's batch, the decay sweep, replays (merges, rescores),
merges and deletions. It is taken FOR NO KEY UPDATE (a deletion: FOR UPDATE), which leaves
ingestion alone: storing an event only checks its lead's key (FOR KEY SHARE).

Paths that may wait (a merge, a deletion, a rescore chunk, a metadata change) wait for their
leads in id order, then for the states, then touch events. The pipeline's batch and the decay
sweep never wait for a lead: they lock their leads with SKIP LOCKED in the statement that
picks their rows (a batch claims an event only together with its lead) and leave the others
to the next batch or sweep. Having its leads, a batch finds their states and events free, so
it waits on nothing a lead holder holds; a merge that waits for events a batch claimed waits
for that batch to commit, never in a cycle. Whatever still loses a deadlock (locks outside
this order) is run again by `leadvibe.db.atomic_retrying_conflicts`.
"""

from collections.abc import Iterable

from django.db import connection

from scoring.models import Lead, LeadScoringState

_LEADS = Lead._meta.db_table
_STATES = LeadScoringState._meta.db_table


def leads_lock(*, lead_pks: Iterable[int], deleting: bool = False) -> None:
    """Wait for the leads' locks, in id order (step 1), in the caller's transaction."""
    mode = "UPDATE" if deleting else "NO KEY UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_LEADS} WHERE id = ANY(%s) ORDER BY id FOR {mode}",  # noqa: S608
            [sorted(set(lead_pks))],
        )


def leads_range_lock(*, unit_id: str, after: int, limit: int) -> tuple[int, int] | None:
    """Wait for the locks of the OU's next `limit` leads by key after `after`, in id order
    (step 1): their count and the last one's key, None when none is left. A chunk of a job
    that walks an OU's leads."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), max(id) FROM (SELECT id FROM {_LEADS} "  # noqa: S608
            "WHERE unit_id = %s AND id > %s ORDER BY id LIMIT %s FOR NO KEY UPDATE) AS chunk",
            [unit_id, after, limit],
        )
        count, last = cursor.fetchone()
    return (count, last) if count else None


def scoring_states_lock(*, lead_pks: Iterable[int]) -> None:
    """Wait for the leads' existing scoring states, in lead id order (step 2); the caller
    holds the leads."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT lead_id FROM {_STATES} WHERE lead_id = ANY(%s) "  # noqa: S608
            "ORDER BY lead_id FOR UPDATE",
            [sorted(set(lead_pks))],
        )
