"""POST /admin/backfill/accounts and /admin/backfill/event-accounts as an admin meets them:
202 with a job, its progress and counts at GET, the leads, accounts and events it changed, a
second run that changes nothing, and who may call them."""

import pytest

from leadvibe.jobs import job_run
from scoring.models import AccountBackfill, EngagementEvent, EventBackfill, Lead
from scoring.services.pipeline import process_pending_events
from tests.api_clients import basic_client_for, member_client_for
from tests.factories import make_credential
from tests.scoring.test_profile_scoring import call, fit_rules, ingest, profile

pytestmark = pytest.mark.django_db

ACCOUNTS = "/admin/backfill/accounts"
EVENTS = "/admin/backfill/event-accounts"
KINDS = {ACCOUNTS: ("account_backfill", AccountBackfill), EVENTS: ("event_backfill", EventBackfill)}
JOB_FIELDS = ("status", "progress", "error")


@pytest.fixture
def owner(ou):
    return member_client_for(ou, role="Owner")


def backfill(owner, path) -> dict:
    """Start the backfill, run its job as a worker would, and answer what GET reports."""
    started = call(owner, "post", path, status=202)
    assert (started["status"], started["progress"]) == ("pending", 0.0)
    kind, model = KINDS[path]
    job_run(kind=kind, job_id=model.pk_from_public_id(started["job_id"]))
    done = call(owner, "get", path)
    assert done["job_id"] == started["job_id"]
    assert tuple(done[f] for f in JOB_FIELDS) == ("completed", 1.0, "")
    return {k: v for k, v in done.items() if k.startswith(("leads_", "accounts_", "events_"))
            or k.endswith("_updated")}  # fmt: skip


def account_of(client, lead_id) -> dict | None:
    return call(client, "get", f"/leads/{lead_id}/account")["account"]


@pytest.fixture
def abm(ou):
    ou.org.abm_enabled = True
    ou.org.save(update_fields=["abm_enabled"])


@pytest.fixture
def stored_activity(client, member_client):
    """Leads and scored events from before any mapping existed: ann, bob and eve name accounts
    in their events, cid is linked to globex already, dan names none."""
    for lead_id in ("ann", "bob", "dan", "eve"):
        call(member_client, "post", "/leads", {"id": lead_id}, status=201)
    call(member_client, "post", "/leads", {"id": "cid", "account_id": "globex"}, status=201)
    ingest(client, "ann", "visit", {"accountId": "acme", "utm_source": "ads",
                                    "company_size": "80"}, 1)  # fmt: skip
    ingest(client, "bob", "visit", {"accountId": " acme ", "company_size": "450"}, 2)
    ingest(client, "cid", "visit", {"accountId": "acme", "company_size": "5"}, 3)
    ingest(client, "dan", "visit", {"utm_source": "mail"}, 4)
    ingest(client, "eve", "visit", {"accountId": "initech"}, 5)
    ingest(client, "eve", "visit", {"accountId": "  "}, 6)  # blank: names no account
    process_pending_events()


@pytest.mark.usefixtures("abm", "stored_activity")
def test_the_account_backfill_links_maps_and_rescores_then_changes_nothing(member_client, owner):
    call(member_client, "post", "/profile/mappings",
         {"source_field": "utm_source", "profile_property": "source"}, status=201)  # fmt: skip
    fit_rules(member_client, "/profile", [
        {"profile_property": "source", "condition": "exists", "weight": 25},
    ])  # fmt: skip
    call(member_client, "post", "/accounts/mappings",
         {"source_field": "company_size", "account_property": "employees"}, status=201)  # fmt: skip
    fit_rules(member_client, "/accounts", [
        {"account_property": "employees", "condition": "greater_than", "comparison_value": 100,
         "weight": 30},
    ])  # fmt: skip

    assert backfill(owner, ACCOUNTS) == {
        "leads_processed": 5,
        "leads_updated": 2,  # ann and dan got a source
        "profile_scores_updated": 2,  # 0 -> 25
        "accounts_linked": 3,  # ann and bob to acme, eve to initech; cid keeps globex
        "accounts_created": 2,
        "accounts_processed": 3,
        "accounts_updated": 2,  # acme and globex got employees
        "account_scores_updated": 2,  # acme's and initech's first scores
    }
    assert profile(owner, "ann")["metadata"] == {"source": "ads"}
    assert (profile(owner, "dan")["profile_score"], profile(owner, "bob")["profile_score"]) == (
        25, 0,
    )  # fmt: skip
    acme = account_of(owner, "ann")
    # Both leads' events in time order: bob's 450 is the latest.
    assert (acme["account_id"], acme["metadata"], acme["account_score"]) == (
        "acme", {"employees": "450"}, 30,
    )  # fmt: skip
    assert account_of(owner, "bob")["account_id"] == "acme"
    assert (account_of(owner, "cid")["account_id"], account_of(owner, "cid")["metadata"]) == (
        "globex", {"employees": "5"},
    )  # fmt: skip
    assert (account_of(owner, "eve")["account_id"], account_of(owner, "dan")) == ("initech", None)

    assert backfill(owner, ACCOUNTS) == {
        "leads_processed": 5, "leads_updated": 0, "profile_scores_updated": 0,
        "accounts_linked": 0, "accounts_created": 0, "accounts_processed": 3,
        "accounts_updated": 0, "account_scores_updated": 0,
    }  # fmt: skip


@pytest.mark.usefixtures("stored_activity")
def test_without_abm_the_account_backfill_maps_profiles_and_links_no_account(member_client, owner):
    call(member_client, "post", "/profile/mappings",
         {"source_field": "utm_source", "profile_property": "source"}, status=201)  # fmt: skip

    counts = backfill(owner, ACCOUNTS)

    assert (counts["leads_updated"], counts["accounts_linked"], counts["accounts_processed"]) == (
        2, 0, 0,
    )  # fmt: skip
    assert list(
        Lead.objects.unscoped().exclude(account=None).values_list("lead_id", flat=True)
    ) == ["cid"]


def test_the_event_backfill_writes_the_leads_account_into_its_events(client, member_client, owner):
    call(member_client, "post", "/leads", {"id": "ann", "account_id": "acme"}, status=201)
    call(member_client, "post", "/leads", {"id": "bob"}, status=201)
    ingest(client, "ann", "visit", {"page": "/pricing"}, 1)
    ingest(client, "ann", "visit", {"page": "/docs", "accountId": "stale"}, 2)
    ingest(client, "bob", "visit", {"page": "/"}, 3)
    process_pending_events()
    ann = Lead.objects.unscoped().get(lead_id="ann")
    decay = EngagementEvent.objects.unscoped().create(
        org_id=ann.org_id, unit_id=ann.unit_id, lead=ann, event_type="DECAY",
        occurred_at=ann.created_at, received_at=ann.created_at, channel="system",
        metadata={"channel": "system"}, source="system", status="processed",
    )  # fmt: skip

    assert backfill(owner, EVENTS) == {
        "events_scanned": 2, "events_updated": 2, "leads_without_account": 1,
    }  # fmt: skip
    metadata = dict(
        EngagementEvent.objects.unscoped().order_by("seq").values_list("seq", "metadata")
    )
    assert list(metadata.values()) == [
        {"page": "/pricing", "accountId": "acme"},
        {"page": "/docs", "accountId": "acme"},
        {"page": "/"},  # bob has no account
        {"channel": "system"},  # the engine's own DECAY record is left alone
    ]
    assert metadata[decay.seq] == {"channel": "system"}

    assert backfill(owner, EVENTS)["events_updated"] == 0


@pytest.mark.parametrize("path", [ACCOUNTS, EVENTS])
def test_backfills_are_for_owners_and_org_admins_with_a_jwt(ou, member_client, path):
    call(member_client, "post", path, status=403)  # an Operator
    call(member_client_for(ou, role="Viewer"), "get", path, status=403)
    call(basic_client_for(make_credential(unit=ou)), "post", path, status=403)
    admin = member_client_for(ou, org_role="admin")
    call(admin, "get", path, status=404)  # none yet
    first = call(admin, "post", path, status=202)
    # Asked again while it waits: the same job.
    assert call(admin, "post", path, status=202)["job_id"] == first["job_id"]
    assert call(admin, "get", path)["job_id"] == first["job_id"]
