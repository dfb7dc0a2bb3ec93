"""Accounts as a marketer meets them (ABM, architecture.md §4.9): the list with its leads
rolled up, its filters and pages, one account in detail, batch deletion, and every
`/accounts…` route answering 403 while the organization has no ABM."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadvibe.jobs import jobs_sweep
from scoring.models import Account, AccountScore
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from tests.api_clients import member_client_for
from tests.factories import make_credential
from tests.scoring.test_profile_scoring import call
from tests.security.test_tenancy_matrix import methods_of, named_routes

pytestmark = pytest.mark.django_db

API = "/api/v1"


def ingest(client, lead_id, event_type, *, ago, metadata=None):
    at = (timezone.now() - ago).isoformat()
    body = {"lead_id": lead_id, "event_type": event_type, "timestamp": at}
    call(client, "post", "/events", {**body, "metadata": metadata or {}}, status=202)


HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def accounts(abm, client, member_client):
    """Engagement: demo +40, email_open +5 (primary ruleset). Account tier: `tier` equals
    enterprise +50, `tier` missing +5, with `tier` and `domain` mapped from events.

    acme: ann (demo 2 h ago with tier and domain, email_open 1 h ago: 45), bob (email_open
    3 days ago: 5). globex: carl (demo 10 days ago: 40), dana (no event: 0). initech: frank
    (no event; the account has no stored score). umbrella: no lead left. eve: no account
    (demo: 40)."""
    call(member_client, "post", "/rulesets", {"name": "Engagement"}, status=201)
    for event_type, weight in (("demo", 40), ("email_open", 5)):
        call(member_client, "post", "/rules", {"event_type": event_type, "weight": weight},
             status=201)  # fmt: skip
    tier = call(member_client, "post", "/accounts/rulesets", {"name": "Tier"}, status=201)
    for rule in (
        {"account_property": "tier", "condition": "equals", "comparison_value": "enterprise",
         "weight": 50},
        {"account_property": "tier", "condition": "not_exists", "weight": 5},
    ):  # fmt: skip
        call(member_client, "post", f"/accounts/rulesets/{tier['id']}/rules", rule, status=201)
    for field in ("tier", "domain"):
        call(member_client, "post", "/accounts/mappings",
             {"source_field": field, "account_property": field}, status=201)  # fmt: skip
    for lead_id, account_id in (
        ("ann", "acme"), ("bob", "acme"), ("carl", "globex"), ("dana", "globex"),
        ("frank", "initech"), ("gus", "umbrella"), ("eve", None),
    ):  # fmt: skip
        call(member_client, "post", "/leads", {"id": lead_id, "account_id": account_id},
             status=201)  # fmt: skip
    call(member_client, "put", "/leads/gus", {"metadata": {}, "account_id": None})
    ingest(client, "ann", "demo", ago=2 * HOUR, metadata={"tier": "enterprise",
                                                          "domain": "acme.io"})  # fmt: skip
    ingest(client, "ann", "email_open", ago=HOUR)
    ingest(client, "bob", "email_open", ago=3 * DAY)
    ingest(client, "carl", "demo", ago=10 * DAY)
    ingest(client, "eve", "demo", ago=HOUR)
    process_pending_events()
    return tier


def listed(client, query="", *, status=200):
    return call(client, "get", f"/accounts{query}", status=status)


def rollup(item) -> tuple:
    return (item["account_id"], item["account_score"], item["account_level"],
            item["leads_count"], item["total_score"], item["top_score"])  # fmt: skip


def test_accounts_are_listed_with_their_leads_rolled_up(accounts, member_client):
    body = listed(member_client)
    assert (body["total"], body["page"], body["limit"]) == (4, 1, 50)
    # Highest account score first; ties (5) by the account created first.
    assert [rollup(item) for item in body["accounts"]] == [
        ("acme", 50, "Hot", 2, 50, 45),
        ("globex", 5, "Cold", 2, 40, 40),
        ("initech", 5, "Cold", 1, 0, 0),
        ("umbrella", 5, "Cold", 0, 0, None),
    ]
    acme, globex, initech, umbrella = body["accounts"]
    assert (acme["domain"], acme["metadata"]) == ("acme.io", {"tier": "enterprise",
                                                              "domain": "acme.io"})  # fmt: skip
    assert (globex["domain"], globex["metadata"]) == (None, {})
    now = timezone.now()
    assert abs(_time(acme["last_activity_at"]) - (now - HOUR)) < datetime.timedelta(seconds=5)
    assert abs(_time(globex["last_activity_at"]) - (now - 10 * DAY)) < datetime.timedelta(seconds=5)
    assert (initech["last_activity_at"], umbrella["last_activity_at"]) == (None, None)
    # The list agrees with the account a lead shows.
    lead_account = call(member_client, "get", "/leads/frank/account")["account"]
    assert (lead_account["account_score"], lead_account["account_level"]) == (5, "Cold")


def _time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def account_ids(client, query) -> list[str]:
    return [item["account_id"] for item in listed(client, query)["accounts"]]


def test_filters_range_search_and_intent_level(accounts, member_client):
    assert account_ids(member_client, "?range=last_24h") == ["acme"]
    assert account_ids(member_client, "?range=last_7d") == ["acme"]
    assert account_ids(member_client, "?range=last_30d") == ["acme", "globex"]
    assert account_ids(member_client, "?range=today&search=glob") == []
    assert listed(member_client, "?range=last_30d")["total"] == 2

    assert account_ids(member_client, "?search=ACME.IO") == ["acme"]  # metadata, any case
    assert account_ids(member_client, "?search=glob") == ["globex"]  # the account id
    assert account_ids(member_client, "?search=enterprise") == ["acme"]
    assert account_ids(member_client, "?search=%25") == []  # `%` is a character, no wildcard
    assert account_ids(member_client, "?search=_") == []

    assert account_ids(member_client, "?intent_level=hot") == ["acme"]
    assert account_ids(member_client, "?intent_level=Cold") == ["globex", "initech", "umbrella"]
    assert account_ids(member_client, "?intent_level=Cold&search=i") == ["initech"]
    assert len(account_ids(member_client, "?intent_level=all")) == 4
    assert account_ids(member_client, "?intent_level=Very%20Hot") == []
    body = listed(member_client, "?intent_level=lukewarm")
    assert (body["accounts"], body["total"]) == ([], 0)


def test_pages(accounts, member_client):
    page = listed(member_client, "?limit=2&page=2")
    assert ([i["account_id"] for i in page["accounts"]], page["total"]) == (
        ["initech", "umbrella"],
        4,
    )
    assert (
        listed(member_client, "?limit=2&page=2&intent_level=cold")["accounts"][0]["account_id"]
        == "umbrella"
    )
    last = listed(member_client, "?page=1000000&limit=500")
    assert (last["accounts"], last["total"]) == ([], 4)


@pytest.mark.parametrize(
    "query",
    [
        "?page=1000001",
        "?page=0",
        "?limit=501",
        "?page=99999999999999999999999",
        "?range=forever",
        "?range=",
        "?search=",
        "?search=" + "x" * 201,
        "?search=a%00b",
        "?intent_level=hot%00",
    ],
)
def test_bad_list_queries_are_400(abm, member_client, query):
    listed(member_client, query, status=400)


def test_an_account_in_detail(accounts, member_client):
    detail = call(member_client, "get", "/accounts/acme")
    assert rollup(detail) == ("acme", 50, "Hot", 2, 50, 45)
    assert detail["scores"] == [
        {"ruleset_id": accounts["id"], "name": "Tier", "is_primary": True, "score": 50}
    ]
    assert [(lead["id"], lead["score"], lead["engagement_level"]) for lead in detail["leads"]] == [
        ("ann", 45, "Warm"),
        ("bob", 5, "Cold"),
    ]
    assert [(e["lead_id"], e["event_type"]) for e in detail["recent_events"]] == [
        ("ann", "email_open"),
        ("ann", "demo"),
        ("bob", "email_open"),
    ]
    empty = call(member_client, "get", "/accounts/umbrella")
    assert (empty["leads_count"], empty["top_score"], empty["leads"]) == (0, None, [])
    assert empty["recent_events"] == []
    call(member_client, "get", "/accounts/nope", status=404)


def test_deleting_accounts_unlinks_their_leads(accounts, ou, member_client):
    acme = Account.objects.for_ou(ou).get(account_id="acme")
    assert AccountScore.objects.unscoped().filter(account=acme).count() == 1
    body = {"ids": ["acme", "initech", "nope", "acme"]}
    assert call(member_client, "post", "/accounts/delete", body) == {
        "accounts_deleted": 2,
        "leads_unlinked": 3,  # ann, bob, frank
        "account_scores_deleted": 1,  # acme's (initech, with no event, has none stored)
        "not_found": ["nope"],
    }
    for lead_id in ("ann", "bob", "frank"):
        assert call(member_client, "get", f"/leads/{lead_id}/account")["account"] is None
    assert call(member_client, "get", "/leads/carl/account")["account"]["account_id"] == "globex"
    assert account_ids(member_client, "") == ["globex", "umbrella"]
    assert AccountScore.objects.unscoped().filter(account=acme).count() == 0
    call(member_client, "get", "/accounts/acme", status=404)
    # The leads keep their engagement scores.
    assert call(member_client, "get", "/leads/ann/score")["score"] == 45
    # Deleting them again finds nothing.
    assert call(member_client, "post", "/accounts/delete", {"ids": ["acme"]}) == {
        "accounts_deleted": 0,
        "leads_unlinked": 0,
        "account_scores_deleted": 0,
        "not_found": ["acme"],
    }


def test_segments_reading_the_account_follow_a_deletion(accounts, client, member_client):
    """acme's leads are in a segment of `tier = enterprise` accounts; once acme is deleted
    they have no account, so they leave it (cause `metadata`)."""
    segment = call(member_client, "post", "/segments", {"name": "Enterprise"}, status=201)
    segment_id = segment["segment_id"]
    call(member_client, "post", f"/segments/{segment_id}/rules",
         {"rule_type": "account_metadata", "field_name": "tier", "operator": "equals",
          "value": "enterprise"}, status=201)  # fmt: skip
    jobs_sweep()
    members = f"/segments/{segment_id}/leads"
    assert sorted(row["lead_id"] for row in call(member_client, "get", members)) == ["ann", "bob"]

    call(member_client, "post", "/accounts/delete", {"ids": ["acme"]})
    assert call(member_client, "get", members) == []
    assert call(member_client, "get", f"/segments/{segment_id}/count")["count"] == 0
    exits = [e for e in call(member_client, "get", f"/segments/{segment_id}/events")
             if e["type"] == "segment_exited"]  # fmt: skip
    assert sorted(e["lead_id"] for e in exits) == ["ann", "bob"]


def test_the_list_costs_the_same_statements_for_3_or_40_accounts(accounts, ou, member_client):
    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            listed(member_client, "?search=e&intent_level=cold&range=all")
        return len(queries)

    few = statements()
    for n in range(40):
        lead_create(ou=ou, lead_id=f"extra-{n}", metadata={}, account_id=f"extra-{n % 37}")
    assert len(listed(member_client, "?limit=500")["accounts"]) == 41
    assert statements() == few


def test_another_ous_accounts_are_neither_listed_nor_deleted(accounts, ou, member_client):
    other_ou = make_credential().credential.unit
    other_ou.org.abm_enabled = True
    other_ou.org.save(update_fields=["abm_enabled"])
    other = member_client_for(other_ou)
    call(other, "post", "/leads", {"id": "zed", "account_id": "acme"}, status=201)
    assert [i["account_id"] for i in listed(other)["accounts"]] == ["acme"]
    assert listed(other)["accounts"][0]["leads_count"] == 1
    assert call(other, "post", "/accounts/delete", {"ids": ["globex"]})["not_found"] == ["globex"]
    assert account_ids(member_client, "?search=globex") == ["globex"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "acme"},
        {"ids": [1]},
        {"ids": [None]},
        {"ids": [["acme"]]},
        {"ids": ["a\x00b"]},
        {"ids": ["x" * 201]},
        {"ids": [f"a{n}" for n in range(1001)]},
        ["acme"],
    ],
)
def test_bad_delete_bodies_are_400(abm, member_client, body):
    call(member_client, "post", "/accounts/delete", body, status=400)


def test_a_viewer_reads_accounts_but_cannot_delete_them(accounts, ou):
    viewer = member_client_for(ou, role="Viewer")
    assert listed(viewer)["total"] == 4
    call(viewer, "post", "/accounts/delete", {"ids": ["acme"]}, status=403)


# Every route under /accounts, read from the URL conf: a route added later is covered too.
ACCOUNT_ROUTES = [
    (re.sub(r"<(?:\w+:)?\w+>", "x1", route), method)
    for _, route, callback in named_routes()
    if route.removeprefix("api/v1/").startswith("accounts")
    for method in methods_of(callback)
]


def test_the_account_routes_are_found():
    paths = {path for path, _ in ACCOUNT_ROUTES}
    assert {"api/v1/accounts", "api/v1/accounts/delete", "api/v1/accounts/x1"} <= paths


@pytest.mark.parametrize(("path", "method"), ACCOUNT_ROUTES)
def test_every_account_route_answers_403_without_abm(member_client, path, method):
    response = getattr(member_client, method)(f"/{path}", {"ids": ["x1"]}, format="json")
    assert response.status_code == 403, response.content
    assert "abm_enabled" in response.json()["error"]
