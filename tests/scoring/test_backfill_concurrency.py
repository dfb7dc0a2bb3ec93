"""Each backfill over 2,000 leads (ten lead chunks) while events are ingested and scored at the
same time: no event is lost or scored twice, and what the backfill leaves equals a fresh
computation from the stored events (and a second run changes nothing).

The job runs while the other threads ingest and score, over several chunks whatever the size:
LEADVIBE_BACKFILL_TEST_LEADS=10000 runs them over the issue's 10,000 leads.
"""

import datetime
import os
from collections import defaultdict

import pytest
from django.db import connection

from leadvibe.jobs import job_run
from scoring.engine.profile import apply_field_mappings, profile_scores
from scoring.fit.selectors import ACCOUNT, PROFILE, fit_config_load
from scoring.models import (
    Account,
    AccountBackfill,
    AccountScore,
    EngagementEvent,
    EventBackfill,
    Lead,
    LeadProfileScore,
    LeadScore,
)
from scoring.services.backfills import account_backfill_start, event_backfill_start
from scoring.services.pipeline import process_pending_batch, process_pending_events
from tests.concurrency import run_in_threads
from tests.scoring.scoring_helpers import ORIGIN, config_spec, store_config
from tests.scoring.test_profile_scoring import call, fit_rules

pytestmark = pytest.mark.django_db(transaction=True)

LEADS = int(os.environ.get("LEADVIBE_BACKFILL_TEST_LEADS", "2000"))
ACCOUNT_COUNT = 50
# Leads n with n % UNLINKED == 0 name no account in their events (and get none).
UNLINKED = 10
CONFIG = config_spec([("visit", 1, None, True)], surge=("off", [], "1"))


def account_of(n: int) -> str | None:
    return None if n % UNLINKED == 0 else f"acct-{n % ACCOUNT_COUNT}"


def leads_seed(ou, *, count: int = LEADS, linked: bool = False) -> None:
    """`count` leads `lead-<n>`, each with two pending visits a day before anything live; with
    `linked`, leads are linked to their accounts already (and the visits name none)."""
    leads, events, accounts = (
        Lead._meta.db_table,
        EngagementEvent._meta.db_table,
        Account._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {accounts} (org_id, unit_id, account_id, name, metadata, created_at, "  # noqa: S608
            "updated_at) SELECT %s, %s, 'acct-' || n, '', '{}', now(), now() "
            "FROM generate_series(0, %s - 1) AS n",
            [ou.org_id, ou.id, ACCOUNT_COUNT] if linked else [ou.org_id, ou.id, 0],
        )
        cursor.execute(
            f"INSERT INTO {leads} (org_id, unit_id, lead_id, account_id, metadata, created_at, "  # noqa: S608
            "updated_at) SELECT %s, %s, 'lead-' || n, CASE WHEN %s AND n %% %s <> 0 THEN "
            f"(SELECT id FROM {accounts} WHERE unit_id = %s AND account_id = 'acct-' || n %% %s)"
            " END, '{}', now(), now() FROM generate_series(0, %s - 1) AS n",
            [ou.org_id, ou.id, linked, UNLINKED, ou.id, ACCOUNT_COUNT, count],
        )
        account_id = (
            "'{}'::jsonb"
            if linked
            else "CASE WHEN substr(l.lead_id, 6)::int %% %s = 0 THEN '{}'::jsonb ELSE "
            "jsonb_build_object('accountId', 'acct-' || substr(l.lead_id, 6)::int %% %s) END"
        )
        cursor.execute(
            f"INSERT INTO {events} (org_id, unit_id, lead_id, event_type, occurred_at, "  # noqa: S608
            "received_at, channel, metadata, source, status) "
            "SELECT l.org_id, l.unit_id, l.id, 'visit', %s + k * interval '1 minute' "
            "+ l.id * interval '1 second', now(), 'web', "
            f"{account_id} || jsonb_build_object('utm_source', 'seed-' || k, 'tag', 't' || k, "
            "'company_size', (substr(l.lead_id, 6)::int + k)::text), 'api', 'pending' "
            f"FROM {leads} AS l, generate_series(0, 1) AS k WHERE l.unit_id = %s",
            [ORIGIN, *([] if linked else [UNLINKED, ACCOUNT_COUNT]), ou.id],
        )
    process_pending_events(max_batches=10_000)


def _run(client, *, job_done, job_work, live_event, events: int = 400) -> int:
    """The job in one thread while another ingests events through the API (`live_event(i)`:
    lead and metadata; one a second of event time, after the seeded ones) and a third scores
    them; ingestion goes on until the job is done and at least `events` went in. Then the
    rest is scored; returns how many events were ingested."""
    live = ORIGIN + datetime.timedelta(days=1)

    def ingesting() -> int:
        i = 0
        while i < events or not job_done():
            lead_id, metadata = live_event(i)
            timestamp = (live + datetime.timedelta(seconds=i)).isoformat()
            body = {"lead_id": lead_id, "event_type": "visit", "metadata": metadata,
                    "timestamp": timestamp}  # fmt: skip
            call(client, "post", "/events", body, status=202)
            i += 1
        return i

    def scoring() -> int:
        while not job_done():
            process_pending_batch()
        return 0

    def job() -> int:
        job_work()
        return 0

    results = run_in_threads(lambda n: (job, ingesting, scoring)[n](), count=3, start_together=True)
    process_pending_events(max_batches=10_000)
    return max(results)


def _each_event_scored_once(ou) -> None:
    """Weight 1, no surge: every lead's score is its number of visits."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {Lead._meta.db_table} AS l "  # noqa: S608
            f"LEFT JOIN {LeadScore._meta.db_table} AS s ON s.lead_id = l.id "
            f"WHERE l.unit_id = %s AND s.score IS DISTINCT FROM (SELECT count(*) "
            f"FROM {EngagementEvent._meta.db_table} AS e WHERE e.lead_id = l.id)",
            [ou.id],
        )
        assert cursor.fetchone() == (0,)
    assert not EngagementEvent.objects.for_ou(ou).filter(status="pending").exists()


def leads_with_mappings_to_backfill(ou, member_client, *, count: int = LEADS) -> None:
    """ABM on, scored seeded leads (`leads_seed`), then profile and account mappings and fit
    rules: only the backfill applies those mappings to the seeded events."""
    ou.org.abm_enabled = True
    ou.org.save(update_fields=["abm_enabled"])
    store_config(ou, CONFIG)
    leads_seed(ou, count=count)
    # Mappings and fit rules come after the seeded events were scored: only the backfill
    # applies the mappings to them.
    for source, prop, behavior in (("utm_source", "source", "always_latest"),
                                   ("tag", "tag", "append")):  # fmt: skip
        call(member_client, "post", "/profile/mappings",
             {"source_field": source, "profile_property": prop, "update_behavior": behavior},
             status=201)  # fmt: skip
    fit_rules(member_client, "/profile", [
        {"profile_property": "source", "condition": "equals", "comparison_value": "seed-1",
         "weight": 25},
    ])  # fmt: skip
    call(member_client, "post", "/accounts/mappings",
         {"source_field": "company_size", "account_property": "employees"}, status=201)  # fmt: skip
    fit_rules(member_client, "/accounts", [
        {"account_property": "employees", "condition": "greater_than", "comparison_value": 5000,
         "weight": 30},
    ])  # fmt: skip


def test_the_account_backfill_under_live_traffic_equals_a_fresh_computation(
    ou, client, member_client
):
    leads_with_mappings_to_backfill(ou, member_client)
    job = account_backfill_start(ou=ou, member=None)
    job_row = AccountBackfill.objects.for_ou(ou).filter(pk=job.pk)

    def live_event(i: int) -> tuple[str, dict]:
        # Live visits name the lead's own account and carry a profile-mapped field only.
        n = (i * 37) % LEADS
        account = account_of(n)
        return f"lead-{n}", {"utm_source": f"live-{i}", "tag": "live",
                             **({"accountId": account} if account else {})}  # fmt: skip

    ingested = _run(
        client,
        job_done=lambda: job_row.filter(status="completed").exists(),
        job_work=lambda: job_run(kind="account_backfill", job_id=job.pk),
        live_event=live_event,
    )

    done = job_row.get()
    named = len({account_of(n) for n in range(LEADS)} - {None})
    assert (done.status, done.progress_done, done.progress_total) == (
        "completed", LEADS + named, LEADS + named,
    )  # fmt: skip
    assert (done.leads_processed, done.accounts_linked, done.accounts_created) == (
        LEADS, LEADS - LEADS // UNLINKED, named,
    )  # fmt: skip
    assert ingested >= 400
    _each_event_scored_once(ou)
    equals_a_fresh_computation(ou)

    again = account_backfill_start(ou=ou, member=None)
    job_run(kind="account_backfill", job_id=again.pk)
    again.refresh_from_db()
    changes = ("leads_updated", "profile_scores_updated", "accounts_linked", "accounts_created",
               "accounts_updated", "account_scores_updated")  # fmt: skip
    assert {name: getattr(again, name) for name in changes} == dict.fromkeys(changes, 0)


def equals_a_fresh_computation(ou) -> None:
    """Lead and account metadata equal the mappings applied to all the stored events in
    scoring order (leads and accounts started empty), each lead is linked to the account its
    events name, and every profile and account score is the rules applied to the metadata."""
    config = fit_config_load(ou.id)
    leads = dict(Lead.objects.for_ou(ou).values_list("pk", "account__account_id"))
    lead_meta: dict[int, dict] = defaultdict(dict)
    account_meta: dict[str, dict] = defaultdict(dict)
    events = (
        EngagementEvent.objects.for_ou(ou)
        .order_by("occurred_at", "seq")
        .values_list("lead_id", "metadata")
    )
    for lead_pk, metadata in events:
        lead_meta[lead_pk] = (
            apply_field_mappings(lead_meta[lead_pk], metadata, config.lead_mappings)
            or lead_meta[lead_pk]
        )
        account = leads[lead_pk]
        if account:
            account_meta[account] = (
                apply_field_mappings(account_meta[account], metadata, config.account_mappings)
                or account_meta[account]
            )
    for pk, lead_id, account, metadata in Lead.objects.for_ou(ou).values_list(
        "pk", "lead_id", "account__account_id", "metadata"
    ):
        assert account == account_of(int(lead_id.removeprefix("lead-"))), lead_id
        assert metadata == lead_meta[pk], lead_id
    stored_accounts = dict(Account.objects.for_ou(ou).values_list("account_id", "metadata"))
    assert stored_accounts == {a: account_meta[a] for a in stored_accounts}
    profile_expected = {
        (pk, ruleset, score)
        for pk, metadata in lead_meta.items()
        for ruleset, score in profile_scores(metadata, config.rulesets(PROFILE)).items()
    }
    assert (
        set(LeadProfileScore.objects.for_ou(ou).values_list("lead_id", "ruleset_id", "score"))
        == profile_expected
    )
    account_pks = dict(Account.objects.for_ou(ou).values_list("account_id", "pk"))
    account_expected = {
        (account_pks[a], ruleset, score)
        for a, metadata in stored_accounts.items()
        for ruleset, score in profile_scores(metadata, config.rulesets(ACCOUNT)).items()
    }
    assert (
        set(AccountScore.objects.for_ou(ou).values_list("account_id", "ruleset_id", "score"))
        == account_expected
    )


def test_the_event_backfill_under_live_traffic_equals_a_fresh_computation(ou, client):
    store_config(ou, CONFIG)
    leads_seed(ou, linked=True)
    seeded_until = (
        EngagementEvent.objects.for_ou(ou).order_by("-seq").values_list("seq", flat=True)[0]
    )
    job = event_backfill_start(ou=ou, member=None)
    job_row = EventBackfill.objects.for_ou(ou).filter(pk=job.pk)

    def live_event(i: int) -> tuple[str, dict]:
        return f"lead-{(i * 37) % LEADS}", {"n": i}

    ingested = _run(
        client,
        job_done=lambda: job_row.filter(status="completed").exists(),
        job_work=lambda: job_run(kind="event_backfill", job_id=job.pk),
        live_event=live_event,
    )

    done = job_row.get()
    linked_leads = LEADS - LEADS // UNLINKED
    assert (done.status, done.progress_done, done.leads_without_account) == (
        "completed", LEADS, LEADS // UNLINKED,
    )  # fmt: skip
    assert done.events_updated >= 2 * linked_leads
    _each_event_scored_once(ou)
    events = list(
        EngagementEvent.objects.for_ou(ou).values_list(
            "seq", "lead__lead_id", "lead__account__account_id", "metadata"
        )
    )
    live = [metadata for seq, _, _, metadata in events if seq > seeded_until]
    # Every live event kept its own metadata, whether or not the backfill reached it.
    assert sorted(m["n"] for m in live) == list(range(ingested))
    assert all(set(m) <= {"n", "accountId"} for m in live)
    for seq, lead_id, account, metadata in events:
        if seq <= seeded_until:  # stored before the job: all of them carry their account
            assert metadata.get("accountId") == account, lead_id
        else:
            assert metadata.get("accountId") in (None, account), lead_id

    # A fresh run reaches the live events its chunks came before; a third changes nothing.
    rerun = event_backfill_start(ou=ou, member=None)
    job_run(kind="event_backfill", job_id=rerun.pk)
    rerun.refresh_from_db()
    assert rerun.events_updated == sum(
        1 for seq, _, account, m in events if account and m.get("accountId") != account
    )
    for _, lead_id, account, metadata in EngagementEvent.objects.for_ou(ou).values_list(
        "seq", "lead__lead_id", "lead__account__account_id", "metadata"
    ):
        assert metadata.get("accountId") == account, lead_id
    last = event_backfill_start(ou=ou, member=None)
    job_run(kind="event_backfill", job_id=last.pk)
    last.refresh_from_db()
    assert last.events_updated == 0
