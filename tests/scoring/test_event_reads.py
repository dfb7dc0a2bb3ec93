"""Reading events back: lists and filters, delete, types, channels, properties, the CSV
export, a lead's events and activity, and orders, as an API client meets them."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from leadvibe.timefmt import to_rfc3339
from tests.api_clients import post_event

pytestmark = pytest.mark.django_db

ITEM_KEYS = {
    "id",
    "lead_id",
    "event_type",
    "timestamp",
    "received_at",
    "channel",
    "source",
    "metadata",
    "status",
    "suppression_reason",
    "score_delta",
}

CSV_COLUMNS = ("id", "lead_id", "event_type", "timestamp", "channel", "source", "metadata")


def ago(**delta) -> str:
    return to_rfc3339(timezone.now() - datetime.timedelta(**delta))


def create_order(client, **body):
    body = {"order_id": "o-1", "amount": "19.90", "currency": "eur", "items": [], **body}
    return client.post("/api/v1/orders", body, format="json")


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()]


def export_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- GET /events ----------------------------------------------------------------------------


def test_events_are_listed_newest_first_with_total_and_pages(client):
    old = post_event(client, "signup", timestamp=ago(days=2))["event_id"]
    new = post_event(client, "page_view", timestamp=ago(hours=1))["event_id"]
    newer = post_event(client, "email_open", timestamp=ago(minutes=1))["event_id"]

    first = client.get("/api/v1/events?limit=2")
    assert first.status_code == 200
    assert first["X-Total-Count"] == "3"
    assert ids(first) == [newer, new]
    assert ids(client.get("/api/v1/events?limit=2&page=2")) == [old]
    assert client.get("/api/v1/events?limit=2&page=3").json() == []


def test_event_items_show_the_documented_fields_and_never_the_deprecated_alias(client):
    lead_id = post_event(
        client,
        "webinar_attended",
        lead="x",
        alias_kind="email",
        alias="ann@example.com",
        timestamp="2025-08-15T14:00:00+02:00",
        metadata={"room": "A"},
    )["lead_id"]

    [item] = client.get("/api/v1/events").json()
    assert set(item) == ITEM_KEYS
    assert item["lead_id"] == lead_id
    assert item["timestamp"] == "2025-08-15T12:00:00Z"
    assert item["received_at"].endswith("Z")
    assert (item["channel"], item["source"], item["status"]) == ("webinar", "api", "pending")
    assert item["metadata"] == {"room": "A"}
    # Not scored yet: no suppression, and no delta to show.
    assert (item["suppression_reason"], item["score_delta"]) == (None, None)


def test_metadata_filters_combine_with_and_or(client):
    fall_num = post_event(client, metadata={"utm": "fall", "count": 3})["event_id"]
    fall_text = post_event(client, metadata={"utm": "fall", "count": "3"})["event_id"]
    spring = post_event(client, metadata={"utm": "spring", "vip": True})["event_id"]
    link = post_event(client, metadata={"url": "https://x.test/a?b=c"})["event_id"]

    def listed(query):
        response = client.get("/api/v1/events", QueryDict(query))
        assert response.status_code == 200, response.content
        return set(ids(response))

    assert listed("metadata=utm:fall") == {fall_num, fall_text}
    assert listed("metadata=count:3") == {fall_num, fall_text}
    assert listed("metadata=vip:true") == {spring}
    assert listed("metadata=utm:fall&metadata=count:3&logic=and") == {fall_num, fall_text}
    assert listed("metadata=utm:fall&metadata=vip:true") == set()
    assert listed("metadata=utm:spring&metadata=count:3&logic=or") == {
        fall_num,
        fall_text,
        spring,
    }
    assert listed("metadata=url:https://x.test/a%3Fb%3Dc") == {link}
    assert listed("metadata=utm:") == set()
    assert listed("metadata=count:1e999") == set()
    response = client.get("/api/v1/events?metadata=utm:fall&limit=1")
    assert response["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("metadata=utm", "metadata"),
        ("metadata=:fall", "metadata"),
        ("logic=xor", "logic"),
        ("page=0", "page"),
        ("limit=501", "limit"),
    ],
)
def test_bad_list_parameters_are_400_with_details(client, query, field):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert field in body["details"]


def test_another_ous_events_are_not_listed(client, other_client):
    post_event(other_client, "secret_type", metadata={"k": "v"})
    mine = post_event(client)["event_id"]
    response = client.get("/api/v1/events?metadata=k:v&logic=or&metadata=x:y")
    assert response.json() == []
    assert ids(client.get("/api/v1/events")) == [mine]
    assert client.get("/api/v1/events/types").json() == ["page_view"]


# --- POST /events/delete --------------------------------------------------------------------


def test_delete_removes_only_the_callers_events(client, other_client):
    keep = post_event(client)["event_id"]
    gone = [post_event(client)["event_id"] for _ in range(2)]
    foreign = post_event(other_client)["event_id"]

    response = client.post(
        "/api/v1/events/delete", {"ids": [*gone, foreign, "ev_999999999"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"deleted": 2}
    assert ids(client.get("/api/v1/events")) == [keep]
    assert ids(other_client.get("/api/v1/events")) == [foreign]


@pytest.mark.parametrize(
    "ids_value",
    [[], ["ev_abc"], ["12"], ["ev_1" + "0" * 19], "ev_1", [f"ev_{n}" for n in range(1001)]],
)
def test_delete_refuses_malformed_ids(client, ids_value):
    response = client.post("/api/v1/events/delete", {"ids": ids_value}, format="json")
    assert response.status_code == 400
    assert "ids" in response.json()["details"]


def test_a_viewer_reads_events_but_cannot_delete_them(client, viewer_client):
    post_event(client)
    assert viewer_client.get("/api/v1/events").status_code == 200
    deleted = viewer_client.post("/api/v1/events/delete", {"ids": ["ev_1"]}, format="json")
    assert deleted.status_code == 403
    assert create_order(viewer_client, lead_id="ann").status_code == 403


# --- Types, properties, channels ------------------------------------------------------------


def test_types_channels_and_properties(client):
    post_event(client, "page_view", metadata={"path": "/", "channel": "website"})
    post_event(client, "page_view", metadata={"referrer": "x", "path": "/a"})
    post_event(client, "email_open", metadata={"campaign": "c"})
    post_event(client, "crm/deal won", metadata={"value": 1})

    assert client.get("/api/v1/events/types").json() == ["crm/deal won", "email_open", "page_view"]
    assert client.get("/api/v1/events/channels").json() == ["email", "web"]
    response = client.get("/api/v1/events/types/page_view/properties")
    assert response.json() == {
        "event_type": "page_view",
        "properties": ["channel", "path", "referrer"],
    }
    odd = client.get("/api/v1/events/types/crm%2Fdeal%20won/properties")
    assert odd.json() == {"event_type": "crm/deal won", "properties": ["value"]}


def test_properties_of_a_type_the_ou_never_saw_is_404(client, other_client):
    post_event(other_client, "their_type", metadata={"k": 1})
    response = client.get("/api/v1/events/types/their_type/properties")
    assert response.status_code == 404
    assert response.json()["status"] == 404


# --- GET /events/export ---------------------------------------------------------------------


def test_export_returns_exactly_what_was_ingested(client):
    tricky = {
        "note": 'a, "quoted"\nmulti-line value',
        "emoji": "café ☕ 日本",
        "nested": {"list": [1, 2.5, None, True]},
    }
    first = post_event(
        client, "form_submit", lead="a", metadata=tricky, timestamp="2025-08-14T12:00:00+02:00"
    )
    second = post_event(client, '=HYPERLINK("x")', lead="b", timestamp="2025-08-15T12:00:00Z")
    batch = client.post(
        "/api/v1/events/batch",
        {
            "events": [
                {"event_type": "bulk", "lead_id": first["lead_id"], "metadata": {"n": n}}
                for n in range(600)
            ]
        },
        format="json",
    )
    assert batch.json()["accepted"] == 600

    response = client.get("/api/v1/events/export")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="events-')
    rows = export_rows(response)
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 602
    assert [row["metadata"] for row in rows[:600]] == [
        json.dumps({"n": n}, separators=(",", ":")) for n in reversed(range(600))
    ]
    assert rows[600:] == [
        {
            "id": second["event_id"],
            "lead_id": second["lead_id"],
            # A cell a spreadsheet would run as a formula is defused with a leading quote.
            "event_type": '\'=HYPERLINK("x")',
            "timestamp": "2025-08-15T12:00:00Z",
            "channel": "web",
            "source": "api",
            "metadata": "{}",
        },
        {
            "id": first["event_id"],
            "lead_id": first["lead_id"],
            "event_type": "form_submit",
            "timestamp": "2025-08-14T10:00:00Z",
            "channel": "web",
            "source": "api",
            "metadata": json.dumps(tricky, separators=(",", ":"), ensure_ascii=False),
        },
    ]
    assert json.loads(rows[601]["metadata"]) == tricky


def test_export_matches_the_list_item_for_item(client):
    for n in range(3):
        post_event(client, f"type_{n}", lead=f"lead-{n}", metadata={"n": n, "utm": "x"})
    listed = client.get("/api/v1/events?metadata=utm:x").json()
    rows = export_rows(client.get("/api/v1/events/export?metadata=utm:x"))
    assert [{**row, "metadata": json.loads(row["metadata"])} for row in rows] == [
        {key: item[key] for key in CSV_COLUMNS} for item in listed
    ]


def test_export_filters_and_refuses_bad_filters_as_json(client, other_client):
    post_event(client, metadata={"utm": "fall"})
    post_event(client, metadata={"utm": "spring"})
    post_event(other_client, metadata={"utm": "fall"})

    rows = export_rows(client.get("/api/v1/events/export?metadata=utm:fall"))
    assert [json.loads(row["metadata"]) for row in rows] == [{"utm": "fall"}]

    bad = client.get("/api/v1/events/export?metadata=no-colon")
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/json")
    assert "metadata" in bad.json()["details"]

    empty = export_rows(client.get("/api/v1/events/export?metadata=utm:winter"))
    assert empty == []


# --- GET /leads/{id}/events -----------------------------------------------------------------


def test_a_leads_events_newest_first_and_other_ous_leads_are_404(client, other_client):
    lead = post_event(client, "a", lead="ann", timestamp=ago(hours=2))
    later = post_event(client, "b", lead="ann", timestamp=ago(hours=1))
    post_event(client, "c", lead="bob")

    response = client.get(f"/api/v1/leads/{lead['lead_id']}/events?limit=1")
    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert ids(response) == [later["event_id"]]
    assert set(response.json()[0]) == ITEM_KEYS

    foreign = post_event(other_client, lead="ann")["lead_id"]
    assert client.get(f"/api/v1/leads/{foreign}/events").status_code == 404
    assert client.get("/api/v1/leads/nobody/events").json() == {"status": 404, "error": "Not Found"}


# --- GET /leads/{id}/activity ---------------------------------------------------------------


def test_activity_merges_events_and_orders_newest_first(client):
    event_old = post_event(client, "page_view", timestamp=ago(hours=3))
    lead_id = event_old["lead_id"]
    order = create_order(client, lead_id=lead_id, order_id="o-1", timestamp=ago(hours=2))
    assert order.status_code == 201
    event_new = post_event(client, "email_open", timestamp=ago(hours=1))
    post_event(client, "page_view", lead="someone-else")

    response = client.get(f"/api/v1/leads/{lead_id}/activity")
    assert response.status_code == 200
    body = response.json()
    assert ids_of(body["events"]) == [event_new["event_id"], event_old["event_id"]]
    assert [order["order_id"] for order in body["orders"]] == ["o-1"]
    assert [(item["type"], item.get("id") or item["order_id"]) for item in body["timeline"]] == [
        ("event", event_new["event_id"]),
        ("order", "o-1"),
        ("event", event_old["event_id"]),
    ]
    assert set(body["timeline"][0]) == ITEM_KEYS | {"type"}
    assert body["timeline"][1]["currency"] == "EUR"


def ids_of(items) -> list[str]:
    return [item["id"] for item in items]


def test_activity_ranges_apply_to_events_and_orders(client):
    now = timezone.now()
    ancient = post_event(client, "a", timestamp=ago(days=40))
    lead_id = ancient["lead_id"]
    week_old = post_event(client, "b", timestamp=ago(days=10))
    recent = post_event(client, "c", timestamp=ago(hours=2))
    create_order(client, lead_id=lead_id, order_id="old", timestamp=ago(days=10))
    create_order(client, lead_id=lead_id, order_id="new", timestamp=ago(minutes=5))

    def activity(query=""):
        response = client.get(f"/api/v1/leads/{lead_id}/activity?{query}")
        assert response.status_code == 200, response.content
        body = response.json()
        return ids_of(body["events"]), [order["order_id"] for order in body["orders"]]

    assert activity() == ([recent["event_id"]], ["new"])  # last_7d by default
    assert activity("range=last_30d") == (
        [recent["event_id"], week_old["event_id"]],
        ["new", "old"],
    )
    assert activity("range=all")[0][-1] == ancient["event_id"]
    start = to_rfc3339(now - datetime.timedelta(days=11))
    end = to_rfc3339(now - datetime.timedelta(days=9))
    assert activity(f"range=custom&start={start}&end={end}") == ([week_old["event_id"]], ["old"])
    yesterday_or_today = activity("range=today")[0] + activity("range=yesterday")[0]
    assert recent["event_id"] in yesterday_or_today
    assert week_old["event_id"] not in yesterday_or_today


def test_activity_event_only_filters(client):
    web = post_event(client, "page_view", timestamp=ago(minutes=1))
    lead_id = web["lead_id"]
    email = post_event(client, "email_open", timestamp=ago(hours=5))
    create_order(client, lead_id=lead_id, order_id="o-1", timestamp=ago(hours=5))

    def activity(query):
        body = client.get(f"/api/v1/leads/{lead_id}/activity?{query}").json()
        return ids_of(body["events"]), len(body["orders"]), len(body["timeline"])

    assert activity("channel=email") == ([email["event_id"]], 1, 2)
    # Latency: received_at - timestamp. The email event arrived five hours late.
    assert activity("maxLatency=600000") == ([web["event_id"]], 1, 2)
    # Points in the primary ruleset: none here (no ruleset), so each event has 0.
    assert activity("minScore=0&hasDelta=false")[0] == [web["event_id"], email["event_id"]]
    assert activity("minScore=10")[0] == activity("hasDelta=true")[0] == []
    assert activity("limit=1") == ([web["event_id"]], 1, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("range=custom", "start"),
        ("range=custom&start=2025-01-01T00:00:00Z", "end"),
        ("range=custom&start=2025-02-01T00:00:00Z&end=2025-01-01T00:00:00Z", "end"),
        ("range=custom&start=2025-01-01&end=2025-01-02T00:00:00Z", "start"),
        ("range=last_year", "range"),
        ("channel=fax", "channel"),
        ("minScore=-1", "minScore"),
        ("maxLatency=0", "maxLatency"),
        ("maxLatency=99999999999999999999", "maxLatency"),
        ("hasDelta=yes", "hasDelta"),
        ("limit=501", "limit"),
    ],
)
def test_activity_refuses_bad_filters(client, query, field):
    lead_id = post_event(client)["lead_id"]
    response = client.get(f"/api/v1/leads/{lead_id}/activity?{query}")
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_activity_of_another_ous_lead_is_404(client, other_client):
    foreign = post_event(other_client)["lead_id"]
    assert client.get(f"/api/v1/leads/{foreign}/activity").status_code == 404


# --- Orders ---------------------------------------------------------------------------------


def test_create_and_list_orders(client):
    ann = post_event(client, lead="ann")["lead_id"]
    bob = post_event(client, lead="bob")["lead_id"]

    created = create_order(
        client,
        order_id="A-1",
        lead_id=ann,
        amount=120.5,
        currency="usd",
        items=[{"sku": "S1", "qty": 2}],
        timestamp="2025-08-15T12:00:00Z",
    )
    assert created.status_code == 201
    body = created.json()
    assert body.pop("created_at").endswith("Z")
    assert body == {
        "order_id": "A-1",
        "lead_id": ann,
        "amount": 120.5,
        "currency": "USD",
        "items": [{"sku": "S1", "qty": 2}],
        "timestamp": "2025-08-15T12:00:00Z",
    }
    assert create_order(client, order_id="B-1", lead_id=bob).status_code == 201
    assert create_order(client, order_id="A-2", lead_id=ann, amount=0).status_code == 201

    listed = client.get("/api/v1/orders")
    assert listed["X-Total-Count"] == "3"
    assert [order["order_id"] for order in listed.json()] == ["A-2", "B-1", "A-1"]
    for_ann = client.get(f"/api/v1/orders?lead_id={ann}&limit=1")
    assert for_ann["X-Total-Count"] == "2"
    assert [order["order_id"] for order in for_ann.json()] == ["A-2"]
    assert client.get("/api/v1/orders?lead_id=nobody").json() == []


def test_order_conflicts_unknown_leads_and_bad_input(client, other_client):
    ann = post_event(client)["lead_id"]
    assert create_order(client, lead_id=ann).status_code == 201
    duplicate = create_order(client, lead_id=ann)
    assert duplicate.status_code == 409
    assert duplicate.json()["status"] == 409
    assert create_order(client, lead_id="nobody").status_code == 404
    foreign = post_event(other_client)["lead_id"]
    assert create_order(client, lead_id=foreign, order_id="o-2").status_code == 404
    # The same order id is free in another OU.
    assert create_order(other_client, lead_id=foreign).status_code == 201
    assert [o["order_id"] for o in other_client.get("/api/v1/orders").json()] == ["o-1"]
    assert client.get(f"/api/v1/orders?lead_id={foreign}").json() == []

    for bad, field in [
        ({"amount": -1}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1R"}, "currency"),
        ({"items": ["not an object"]}, "items"),
        ({"timestamp": "2025-08-15"}, "timestamp"),
        ({"timestamp": ago(days=-1)}, "timestamp"),
        ({"timestamp": "1969-12-31T23:59:59Z"}, "timestamp"),
        ({"timestamp": "0001-01-01T00:00:00+14:00"}, "timestamp"),
        ({"order_id": ""}, "order_id"),
    ]:
        response = create_order(client, **{"lead_id": ann, "order_id": "o-3", **bad})
        assert response.status_code == 400, bad
        assert field in response.json()["details"], bad


def test_export_reads_through_a_server_side_cursor(client):
    lead_id = post_event(client)["lead_id"]
    events = [{"event_type": "bulk", "lead_id": lead_id} for _ in range(600)]
    client.post("/api/v1/events/batch", {"events": events}, format="json")

    chunks = iter(client.get("/api/v1/events/export").streaming_content)
    first = next(chunks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone()[0] == 1  # still open: rows arrive as the CSV is written
    rest = b"".join(chunks)
    assert (first + rest).decode().count("\r\n") == 1 + 601
