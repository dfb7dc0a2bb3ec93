"""What an integrator reads: the org-wide activity feed (GET /events filtered by lead, types,
channel and time), incremental sync (GET /events?received_since=, GET /leads?updated_since=)
paged with a cursor that loses nothing, and what each event did to the score."""

import datetime

import pytest
from django.db import connection
from django.http import QueryDict

from leadvibe.timefmt import to_rfc3339
from scoring.models import EngagementEvent, Lead, LeadScoringState
from scoring.selectors.events import EventFilters, event_items, events_list
from scoring.selectors.lead_list import changed_lead_rows
from scoring.services.decay_sweep import decay_sweep
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from tests.api_clients import post_event
from tests.scoring.scoring_helpers import (
    ORIGIN,
    at_minute,
    config_spec,
    decay_rule,
    new_event,
    store_config,
)

pytestmark = pytest.mark.django_db

DAY = 24 * 60


def listed(client, path, query="") -> list[dict]:
    response = client.get(path, QueryDict(query))
    assert response.status_code == 200, response.content
    return response.json()


def event_ids(client, query) -> list[str]:
    return [item["id"] for item in listed(client, "/api/v1/events", query)]


def stored_events(ou, *rows) -> list[str]:
    """Events stored as given: `(lead, event_type, minute it happened, received_at)`."""
    events = []
    for lead, event_type, minute, received_at in rows:
        event = new_event(lead, event_type, minute)
        event.received_at = received_at
        events.append(event)
    return [event.public_id for event in EngagementEvent.objects.bulk_create(events)]


# --- The activity feed ----------------------------------------------------------------------


def test_the_feed_filters_by_lead_types_channel_and_time(client):
    web = post_event(client, "page_view", lead="ann", timestamp="2026-01-05T09:00:00Z")["event_id"]
    mail = post_event(client, "email_open", lead="ann", timestamp="2026-01-06T09:00:00Z")[
        "event_id"
    ]
    demo = post_event(client, "demo_request", lead="bob", timestamp="2026-01-07T09:00:00Z")
    talk = post_event(client, "webinar_attended", lead="bob", timestamp="2026-01-08T09:00:00Z")
    ann = post_event(client, "page_view", lead="ann", timestamp="2026-01-09T09:00:00Z")["lead_id"]
    latest = event_ids(client, "limit=1")[0]

    assert event_ids(client, f"lead_id={ann}") == [latest, mail, web]
    assert event_ids(client, "lead_id=nobody") == []
    assert event_ids(client, "event_type=email_open&event_type=webinar_attended") == [
        talk["event_id"],
        mail,
    ]
    assert event_ids(client, "channel=email") == [mail]
    assert event_ids(client, "occurred_since=2026-01-07T09:00:00Z") == [
        latest,
        talk["event_id"],
        demo["event_id"],
    ]
    # Filters combine: ann's web events from Jan 5, 09:00 (the bound is inclusive).
    assert event_ids(
        client, f"lead_id={ann}&channel=web&occurred_since=2026-01-05T09:00:00%2B00:00"
    ) == [latest, web]
    response = client.get("/api/v1/events", QueryDict(f"lead_id={demo['lead_id']}&limit=1"))
    assert response["X-Total-Count"] == "2"


def test_another_ous_events_never_match_a_filter(client, other_client):
    theirs = post_event(other_client, "page_view", lead="ann")
    post_event(client, "email_open", lead="ann")
    assert event_ids(client, f"lead_id={theirs['lead_id']}&event_type=page_view") == []
    assert event_ids(client, "received_since=2000-01-01T00:00:00Z&event_type=page_view") == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("received_since=10000-01-01T00:00:00Z", "received_since"),
        ("received_since=9999-12-31T23:59:59-01:00", "received_since"),
        ("received_since=0001-01-01T00:00:00%2B01:00", "received_since"),
        ("received_since=2026-01-05T09:00:00Z%00", "received_since"),
        ("received_since=2026-01-05", "received_since"),
        ("received_since=2026-01-05T09:00:00", "received_since"),
        ("received_since=1767603600", "received_since"),
        ("received_since=", "received_since"),
        ("occurred_since=2026-13-01T00:00:00Z", "occurred_since"),
        ("occurred_since=%00", "occurred_since"),
        ("after_id=ev_1", "after_id"),
        ("received_since=2026-01-05T09:00:00Z&after_id=1", "after_id"),
        ("received_since=2026-01-05T09:00:00Z&after_id=ev_9999999999999999999", "after_id"),
        ("channel=fax", "channel"),
        ("event_type=" + "x" * 101, "event_type"),
        ("event_type=a%00b", "event_type"),
        ("lead_id=a%00b", "lead_id"),
    ],
)
def test_bad_feed_parameters_are_400_naming_the_parameter(client, query, parameter):
    response = client.get("/api/v1/events", QueryDict(query))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert list(body["details"]) == [parameter]


# --- Incremental sync of events -------------------------------------------------------------


def sync_events(client, since: str, *, limit: int) -> list[list[str]]:
    """The pages a sync loop reads: each next page after the last event read."""
    pages, query = [], f"received_since={since}&limit={limit}"
    while True:
        page = listed(client, "/api/v1/events", query)
        pages.append([item["id"] for item in page])
        if len(page) < limit:
            return pages
        last = page[-1]
        query = f"received_since={last['received_at']}&after_id={last['id']}&limit={limit}"


def test_received_since_reads_each_event_once_in_arrival_order_through_ties(client, ou):
    ann = lead_create(ou=ou, lead_id="ann", metadata={})
    second = ORIGIN + datetime.timedelta(seconds=1)
    before, *tied, after = stored_events(
        ou,
        (ann, "a", 0, ORIGIN - datetime.timedelta(seconds=1)),
        # Five events received in the same instant (one batch), happened in any order.
        (ann, "b", 30, ORIGIN),
        (ann, "c", 10, ORIGIN),
        (ann, "d", 20, ORIGIN),
        (ann, "e", 0, ORIGIN),
        (ann, "f", 40, ORIGIN),
        (ann, "g", 0, second),
    )

    # From ORIGIN included: the tie in arrival (id) order, whatever `timestamp` says.
    pages = sync_events(client, to_rfc3339(ORIGIN), limit=2)
    assert pages == [tied[0:2], tied[2:4], [tied[4], after], []]
    assert before not in [event_id for page in pages for event_id in page]
    # The cursor is exclusive of the event it names, inclusive of its timestamp.
    query = f"received_since={to_rfc3339(ORIGIN)}&after_id={tied[1]}"
    assert event_ids(client, query) == [*tied[2:], after]


def test_a_sync_loses_nothing_while_events_arrive_and_others_are_deleted(client, ou):
    ann = lead_create(ou=ou, lead_id="ann", metadata={})
    first = stored_events(ou, *[(ann, "a", n, ORIGIN) for n in range(4)])
    since = to_rfc3339(ORIGIN)

    page = listed(client, "/api/v1/events", f"received_since={since}&limit=2")
    assert [item["id"] for item in page] == first[:2]
    # Meanwhile: the first event read is deleted, and a new one arrives.
    deleted = client.post("/api/v1/events/delete", {"ids": first[:1]}, format="json")
    assert deleted.json() == {"deleted": 1}
    arrived = post_event(client, "email_open", lead="ann")["event_id"]

    rest = listed(
        client,
        "/api/v1/events",
        f"received_since={page[-1]['received_at']}&after_id={page[-1]['id']}&limit=2",
    )
    assert [item["id"] for item in rest] == [first[2], first[3]]
    last = rest[-1]
    tail = event_ids(client, f"received_since={last['received_at']}&after_id={last['id']}")
    assert tail == [arrived]


# --- What each event did --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_event_items_show_their_score_delta_and_why_they_were_suppressed(client, ou):
    store_config(
        ou,
        config_spec(
            [("demo", 10, None, True), ("email_open", 3, None, True)],
            event_types=[("page_view", True, "activate")],
        ),
    )
    opened = post_event(client, "email_open", timestamp="2026-01-05T09:00:00Z")["event_id"]
    viewed = post_event(client, "page_view", timestamp="2026-01-05T09:01:00Z")["event_id"]
    demo = post_event(client, "demo", timestamp="2026-01-05T09:02:00Z")["event_id"]
    again = post_event(client, "demo", timestamp="2026-01-05T09:03:00Z")["event_id"]
    assert [item["score_delta"] for item in listed(client, "/api/v1/events")] == [None] * 4

    process_pending_events()

    items = {item["id"]: item for item in listed(client, "/api/v1/events")}
    # Standard surge: the third counted event of the session x1.25 (round(12.5) = 13). The
    # hidden page_view counts for nothing, and is not activity.
    assert {key: item["score_delta"] for key, item in items.items()} == {
        opened: 3,
        viewed: 0,
        demo: 10,
        again: 13,
    }
    assert items[viewed]["suppression_reason"] == "hidden_type"
    assert [items[key]["suppression_reason"] for key in (opened, demo, again)] == [None] * 3
    lead_id = items[demo]["lead_id"]
    own = listed(client, f"/api/v1/leads/{lead_id}/events")
    assert [item["score_delta"] for item in own] == [13, 10, 0, 3]
    # Page by page (the page is picked before the deltas are computed): the same, in order.
    for path in (f"/api/v1/leads/{lead_id}/events", "/api/v1/events"):
        pages = [listed(client, path, f"limit=3&page={page}") for page in (1, 2)]
        assert [(item["id"], item["score_delta"]) for item in pages[0] + pages[1]] == [
            (again, 13),
            (demo, 10),
            (viewed, 0),
            (opened, 3),
        ]


@pytest.mark.django_db(transaction=True)
def test_decay_events_name_their_decay_rule_by_its_public_id(client, ou):
    store_config(ou, config_spec([("demo", 25, None, True)]))
    rule = decay_rule(ou, decrease=10)
    demo = lead_create(ou=ou, lead_id="demo", metadata={})
    EngagementEvent.objects.bulk_create([new_event(demo, "demo", 0)])
    process_pending_events()
    decay_sweep(now=at_minute(3.5 * DAY))  # 25 -> 15 -> 5 -> 0

    decays = listed(client, "/api/v1/events", "event_type=DECAY")
    public_id = f"dc_{rule.id}"
    assert [(item["metadata"], item["score_delta"]) for item in decays] == [
        ({"channel": "system", "decay_id": public_id, "decrease": 10}, -5),
        ({"channel": "system", "decay_id": public_id, "decrease": 10}, -10),
        ({"channel": "system", "decay_id": public_id, "decrease": 10}, -10),
    ]
    assert client.get("/api/v1/decays").json()[0]["decay_id"] == public_id
    export = b"".join(client.get("/api/v1/events/export?event_type=DECAY").streaming_content)
    assert f'""decay_id"":""{public_id}""'.encode() in export
    assert b"decay_rule_id" not in export


# --- Incremental sync of leads --------------------------------------------------------------


def sync_leads(client, since: str, *, limit: int) -> list[list[tuple[str, str]]]:
    pages, query = [], f"updated_since={since}&limit={limit}"
    while True:
        page = listed(client, "/api/v1/leads", query)["leads"]
        pages.append([(lead["id"], lead["changed_at"]) for lead in page])
        if len(page) < limit:
            return pages
        last = page[-1]
        query = f"updated_since={last['changed_at']}&after_id={last['id']}&limit={limit}"


def leads_changed_at(ou, changes: dict[str, datetime.datetime]) -> None:
    for lead_id, when in changes.items():
        Lead.objects.for_ou(ou).filter(lead_id=lead_id).update(updated_at=when)


def states_changed_at(ou, changes: dict[str, datetime.datetime]) -> None:
    for lead_id, when in changes.items():
        LeadScoringState.objects.for_ou(ou).filter(lead__lead_id=lead_id).update(updated_at=when)


def test_updated_since_places_each_lead_once_at_its_last_change(client, ou):
    minute = datetime.timedelta(minutes=1)
    for lead_id in ("a", "b", "c", "d", "e", "old"):
        lead_create(ou=ou, lead_id=lead_id, metadata={})
    EngagementEvent.objects.bulk_create(
        [new_event(Lead.objects.for_ou(ou).get(lead_id=lead_id), "demo", 0) for lead_id in "bd"]
    )
    process_pending_events()
    # Rows changed at ORIGIN (a, c, e: a tie), b's row then its score a minute later, d's
    # score then its row (metadata) two minutes later; `old` before the sync's start.
    leads_changed_at(ou, {"a": ORIGIN, "b": ORIGIN, "c": ORIGIN, "d": ORIGIN + 2 * minute})
    leads_changed_at(ou, {"e": ORIGIN, "old": ORIGIN - minute})
    states_changed_at(ou, {"b": ORIGIN + minute, "d": ORIGIN})

    pages = sync_leads(client, to_rfc3339(ORIGIN), limit=2)
    at = {0: to_rfc3339(ORIGIN), 1: to_rfc3339(ORIGIN + minute), 2: to_rfc3339(ORIGIN + 2 * minute)}
    assert pages == [
        [("a", at[0]), ("c", at[0])],
        [("e", at[0]), ("b", at[1])],
        [("d", at[2])],
    ]
    body = listed(client, "/api/v1/leads", f"updated_since={to_rfc3339(ORIGIN)}&limit=1")
    assert (body["total"], body["total_exact"]) == (5, True)
    plain = listed(client, "/api/v1/leads", "limit=1")["leads"][0]
    assert plain["changed_at"] is None


@pytest.mark.django_db(transaction=True)
def test_a_lead_changed_during_a_sync_is_read_again_at_its_new_place(client, ou):
    store_config(ou, config_spec([("demo", 10, None, True)]))
    for lead_id in ("a", "b", "c"):
        lead_create(ou=ou, lead_id=lead_id, metadata={})
    leads_changed_at(ou, {"a": ORIGIN, "b": ORIGIN, "c": ORIGIN})

    first = listed(client, "/api/v1/leads", f"updated_since={to_rfc3339(ORIGIN)}&limit=2")
    assert [lead["id"] for lead in first["leads"]] == ["a", "b"]
    # Meanwhile: `c`, not read yet, gets new metadata; then `a`, already read, is scored.
    patched = client.patch("/api/v1/leads/c/metadata", {"plan": "pro"}, format="json")
    assert patched.status_code == 200, patched.content
    scored = client.post("/api/v1/events", {"event_type": "demo", "lead_id": "a"}, format="json")
    assert scored.status_code == 202, scored.content
    process_pending_events()

    last = first["leads"][-1]
    rest = listed(
        client,
        "/api/v1/leads",
        f"updated_since={last['changed_at']}&after_id={last['id']}&limit=2",
    )["leads"]
    assert [(lead["id"], lead["score"], lead["metadata"]) for lead in rest] == [
        ("c", 0, {"plan": "pro"}),
        ("a", 10, {}),
    ]
    assert rest[0]["changed_at"] < rest[1]["changed_at"]


@pytest.mark.parametrize(
    ("query", "parameters"),
    [
        ("updated_since=2026-01-05", ["updated_since"]),
        ("updated_since=9999-12-31T23:59:59-01:00", ["updated_since"]),
        ("updated_since=2026-01-05T09:00:00Z%00", ["updated_since"]),
        ("updated_since=", ["updated_since"]),
        ("after_id=a", ["after_id"]),
        ("updated_since=2026-01-05T09:00:00Z&after_id=a%00", ["after_id"]),
        ("updated_since=2026-01-05T09:00:00Z&sort=score&min_score=1", ["min_score", "sort"]),
        ("updated_since=2026-01-05T09:00:00Z&page=2", ["page"]),
    ],
)
def test_bad_sync_parameters_of_leads_are_400_naming_them(client, query, parameters):
    response = client.get("/api/v1/leads", QueryDict(query))
    assert response.status_code == 400
    assert sorted(response.json()["details"]) == parameters


# --- Indexes --------------------------------------------------------------------------------


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row for (row,) in cursor.fetchall())


def test_each_filter_reads_a_page_through_an_index(ou):
    leads = Lead.objects.bulk_create(
        [Lead(org_id=ou.org_id, unit=ou, lead_id=f"l{n}", metadata={}) for n in range(3000)]
    )
    events = []
    for n in range(6000):
        event = new_event(leads[n % 3000], ("a", "b", "c", "d")[n % 4], n)
        event.received_at = ORIGIN + datetime.timedelta(seconds=n)
        event.channel = ("web", "email", "crm")[n % 3]
        events.append(event)
    EngagementEvent.objects.bulk_create(events)
    LeadScoringState.objects.bulk_create(
        [LeadScoringState(lead=lead, unit=ou) for lead in leads[:2000]]
    )
    Lead.objects.for_ou(ou).update(updated_at=ORIGIN)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    since = ORIGIN + datetime.timedelta(seconds=5000)

    def page_plan(**filters) -> str:
        listed = events_list(ou=ou, filters=EventFilters(**filters))
        return plan(event_items(ou=ou, events=listed)[:50])

    assert "event_lead_time" in page_plan(lead_id="l7")
    # Types, channel, time: along one of the OU's indexes, never the whole table.
    for filters in ({"event_types": ["a", "b"], "channel": "email"}, {"occurred_since": since}):
        assert "Seq Scan on scoring_engagementevent" not in page_plan(**filters)
    assert "event_unit_received" in page_plan(received_since=since)
    assert "event_unit_received" in page_plan(received_since=since, after_seq=5)
    by_row, by_state = changed_lead_rows(ou, ORIGIN, "l5")
    assert "lead_unit_updated" in plan(by_row.order_by("changed_at", "lead_id")[:50])
    states_page = by_state.order_by("changed_at", "lead__lead_id")[:50]
    assert "scoring_state_unit_updated" in plan(states_page)
