"""A backfill whose real Celery worker is killed with SIGKILL mid-run: once its lease runs out,
the sweep on a restarted worker resumes it from its recorded progress; every chunk is counted
once and the result equals a fresh computation."""

import pytest

from scoring.models import AccountBackfill, EngagementEvent, EventBackfill
from scoring.services.backfills import (
    LEAD_CHUNK,
    account_backfill_start,
    event_backfill_start,
)
from tests.e2e.processes import job_resumed_by_sweep, job_worker_killed
from tests.scoring.test_backfill_concurrency import (
    UNLINKED,
    account_of,
    equals_a_fresh_computation,
    leads_seed,
    leads_with_mappings_to_backfill,
)

pytestmark = pytest.mark.django_db(transaction=True)

LEADS = 4_000
LEASE_SECONDS = 2


def _killed_and_resumed(job_row, *, env, tmp_path):
    killed = job_worker_killed(
        job_row, env=env, log_dir=tmp_path, once=lambda job: job.progress_done >= LEAD_CHUNK
    )
    assert (killed.status, killed.attempts) == ("running", 1)
    assert 0 < killed.progress_done < LEADS, "the kill should land while leads remain"

    done = job_resumed_by_sweep(
        job_row, env=env, log_dir=tmp_path / "restarted", lease_seconds=LEASE_SECONDS
    )
    assert (done.status, done.attempts, done.error) == ("completed", 2, "")
    assert done.progress_done == done.progress_total
    return done


def test_an_account_backfill_whose_worker_was_killed_resumes(
    server_env, tmp_path, ou, member_client
):
    leads_with_mappings_to_backfill(ou, member_client, count=LEADS)
    job = account_backfill_start(ou=ou, member=None)  # sent after commit
    job_row = AccountBackfill.objects.for_ou(ou).filter(pk=job.pk)

    done = _killed_and_resumed(
        job_row, env={**server_env, "JOB_LEASE_SECONDS": str(LEASE_SECONDS)}, tmp_path=tmp_path
    )

    named = {account_of(n) for n in range(LEADS)} - {None}
    assert (done.leads_processed, done.accounts_linked, done.accounts_created) == (
        LEADS, LEADS - LEADS // UNLINKED, len(named),
    )  # fmt: skip
    assert done.progress_total == LEADS + len(named)
    equals_a_fresh_computation(ou)


def test_an_event_backfill_whose_worker_was_killed_resumes(server_env, tmp_path, ou):
    leads_seed(ou, count=LEADS, linked=True)
    job = event_backfill_start(ou=ou, member=None)
    job_row = EventBackfill.objects.for_ou(ou).filter(pk=job.pk)

    done = _killed_and_resumed(
        job_row, env={**server_env, "JOB_LEASE_SECONDS": str(LEASE_SECONDS)}, tmp_path=tmp_path
    )

    linked = LEADS - LEADS // UNLINKED
    assert (done.events_scanned, done.events_updated, done.leads_without_account) == (
        2 * linked, 2 * linked, LEADS // UNLINKED,
    )  # fmt: skip
    events = EngagementEvent.objects.for_ou(ou).values_list(
        "lead__account__account_id", "metadata__accountId"
    )
    assert all(account == stamped for account, stamped in events)
