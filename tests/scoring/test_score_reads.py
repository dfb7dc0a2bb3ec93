"""Score reads as a client meets them: events ingested through the API and scored by the
pipeline, then the score, batch scores, lead list, explanations, analytics and activity
filters, with every number written out.

The configuration: the primary ruleset `rs0` gives demo 10 and email_open 3; `rs1` gives demo
30. Standard surge: the 3rd event of a session (30 minutes idle) is x1.25, rounded half up.
page_view is filtered as inorganic above 2 events in 10 minutes; secret_type is hidden.
Default levels: Cold 0-24, Warm 25-49, Hot 50-74, Very Hot 75+.

ann:  email_open -50 min (+3), demo -45 min (+10), demo -40 min (x1.25: +13)  rs0 26, rs1 68
bob:  demo -3 h (+10), secret_type -150 min (hidden), page_view -2 h (0)      rs0 10, rs1 30
dee:  email_open 10 days ago (+3)                                              rs0 3
bot:  3 page_views within a minute, the 3rd inorganic                          no score
cy:   no events                                                                no score (0)
"""

import datetime

import pytest
from django.utils import timezone

from scoring.models import EngagementEvent, EventTypeSetting, Ruleset
from scoring.selectors import lead_list
from scoring.selectors.events import TimeWindow
from scoring.selectors.lead_list import LeadListFilters, leads_list
from scoring.services.pipeline import process_pending_events
from tests.scoring.scoring_helpers import config_spec, store_config

pytestmark = pytest.mark.django_db

CONFIG = config_spec(
    [("demo", 10, None, True), ("email_open", 3, None, True)],
    [("demo", 30, None, True)],
    inorganic_filters=[("page_view", 2, 10, False)],
    event_types=[("secret_type", True, "activate")],
)


def ago(**delta) -> str:
    return (timezone.now() - datetime.timedelta(**delta)).isoformat()


def ingest(client, lead_id, event_type, **delta):
    body = {"lead_id": lead_id, "event_type": event_type, "timestamp": ago(**delta)}
    response = client.post("/api/v1/events", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["event_id"]


@pytest.fixture
def scored(client, ou):
    """The leads and events of the module docstring, scored by the pipeline."""
    store_config(ou, CONFIG)
    for lead_id in ("ann", "bob", "cy", "dee", "bot"):
        assert client.post("/api/v1/leads", {"id": lead_id}, format="json").status_code == 201
    events = {
        "ann_email": ingest(client, "ann", "email_open", minutes=50),
        "ann_demo": ingest(client, "ann", "demo", minutes=45),
        "ann_surge": ingest(client, "ann", "demo", minutes=40),
        "bob_demo": ingest(client, "bob", "demo", hours=3),
        "bob_secret": ingest(client, "bob", "secret_type", minutes=150),
        "bob_view": ingest(client, "bob", "page_view", hours=2),
        "dee_email": ingest(client, "dee", "email_open", days=10),
    }
    for n in range(3):
        events[f"bot_{n}"] = ingest(client, "bot", "page_view", minutes=5, seconds=-10 * n)
    assert process_pending_events() == 10
    rulesets = {rs.name: rs.public_id for rs in Ruleset.objects.for_ou(ou)}
    return {"events": events, "rulesets": rulesets}


def get(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


# --- One lead's score, batch scores ---------------------------------------------------------


def test_lead_score_is_the_highest_across_active_rulesets_or_the_one_asked(client, scored):
    rs0, rs1 = scored["rulesets"]["rs0"], scored["rulesets"]["rs1"]
    assert get(client, "/api/v1/leads/ann/score") == {
        "lead_id": "ann",
        "score": 68,  # rs1: 30 + round(37.5)
        "ruleset_id": rs1,
        "engagement_level": "Warm",  # the primary score, 26
    }
    assert get(client, "/api/v1/leads/ann/score", ruleset_id=rs0)["score"] == 26
    assert get(client, "/api/v1/leads/ann/score", ruleset_id="rs1")["score"] == 68  # by name
    assert get(client, "/api/v1/leads/cy/score") == {
        "lead_id": "cy",
        "score": 0,
        "ruleset_id": None,
        "engagement_level": "Cold",
    }
    assert get(client, "/api/v1/leads/cy/score", ruleset_id=rs0)["score"] == 0
    Ruleset.objects.unscoped().filter(name="rs1").update(active=False)
    assert get(client, "/api/v1/leads/ann/score")["score"] == 26  # inactive rulesets left out
    for params in ({"ruleset_id": "rs_999999"}, {"ruleset_id": "nope"}):
        response = client.get("/api/v1/leads/ann/score", params)
        assert response.status_code == 404, params
        assert response.json()["status"] == 404
    assert client.get("/api/v1/leads/nobody/score").status_code == 404


def test_batch_scores_primary_by_default_unknown_ids_reported(client, scored):
    response = client.post(
        "/api/v1/leads/scores", {"lead_ids": ["ann", "bob", "cy", "nobody", "ann"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response["X-Ruleset-ID"] == scored["rulesets"]["rs0"]
    assert response.json() == [
        {"lead_id": "ann", "found": True, "score": 26, "engagement_level": "Warm"},
        {"lead_id": "bob", "found": True, "score": 10, "engagement_level": "Cold"},
        {"lead_id": "cy", "found": True, "score": 0, "engagement_level": "Cold"},
        {"lead_id": "nobody", "found": False, "score": None, "engagement_level": None},
    ]
    for ruleset in ("rs1", scored["rulesets"]["rs1"]):
        body = {"lead_ids": ["ann", "bob", "dee"], "ruleset": ruleset}
        items = client.post("/api/v1/leads/scores", body, format="json").json()
        # Levels are defined on the primary ruleset's scores only.
        assert [(i["score"], i["engagement_level"]) for i in items] == [
            (68, None),
            (30, None),
            (0, None),
        ]
    for body, status in (
        ({"lead_ids": ["ann"], "ruleset": "nope"}, 404),
        ({"lead_ids": []}, 400),
        ({"lead_ids": [f"l{n}" for n in range(501)]}, 400),
        ({"lead_ids": "ann"}, 400),
        ({}, 400),
    ):
        response = client.post("/api/v1/leads/scores", body, format="json")
        assert response.status_code == status, body
        assert response.json()["status"] == status


def test_batch_scores_are_0_when_the_ou_has_no_primary_ruleset(client):
    for lead_id in ("ann", "bob"):
        client.post("/api/v1/leads", {"id": lead_id}, format="json")
    response = client.post("/api/v1/leads/scores", {"lead_ids": ["ann", "bob"]}, format="json")
    assert "X-Ruleset-ID" not in response
    assert [(i["lead_id"], i["score"]) for i in response.json()] == [("ann", 0), ("bob", 0)]


def test_another_ous_leads_and_events_are_not_found(scored, other_client):
    ann_surge = scored["events"]["ann_surge"]
    for path in (
        "/api/v1/leads/ann/score",
        "/api/v1/leads/ann/explain",
        f"/api/v1/events/{ann_surge}/explain",
    ):
        response = other_client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"status": 404, "error": "Not Found"}
    items = other_client.post("/api/v1/leads/scores", {"lead_ids": ["ann"]}, format="json").json()
    assert items == [{"lead_id": "ann", "found": False, "score": None, "engagement_level": None}]
    assert get(other_client, "/api/v1/leads")["leads"] == []
    assert get(other_client, "/api/v1/analytics/top-leads") == []
    assert get(other_client, "/api/v1/analytics/recent-gains") == []
    assert get(other_client, "/api/v1/analytics")["by_type"] == {}


# --- GET /leads -----------------------------------------------------------------------------


def listed(client, **params):
    body = get(client, "/api/v1/leads", **params)
    return [(lead["id"], lead["score"], lead["engagement_level"]) for lead in body["leads"]]


def test_lead_list_sorted_by_primary_score_with_levels(client, scored):
    body = get(client, "/api/v1/leads")
    assert (body["total"], body["total_exact"]) == (5, True)
    # Ties of a score: the lead created first; leads without a stored score after it.
    assert listed(client) == [
        ("ann", 26, "Warm"),
        ("bob", 10, "Cold"),
        ("dee", 3, "Cold"),
        ("cy", 0, "Cold"),
        ("bot", 0, "Cold"),
    ]
    assert [lead["id"] for lead in body["leads"]] == ["ann", "bob", "dee", "cy", "bot"]
    ann = body["leads"][0]
    assert (ann["last_event_type"], ann["last_active_at"][-1]) == ("demo", "Z")
    assert [lead[0] for lead in listed(client, sort="score")] == ["bot", "cy", "dee", "bob", "ann"]
    assert [lead[0] for lead in listed(client, sort="-created_at")][:2] == ["bot", "dee"]
    page = get(client, "/api/v1/leads", page=2, limit=2)
    assert ([lead["id"] for lead in page["leads"]], page["total"]) == (["dee", "cy"], 5)
    assert get(client, "/api/v1/leads", page=3, limit=2)["leads"][0]["id"] == "bot"


def test_lead_list_filters(client, scored):
    def ids(**params):
        body = get(client, "/api/v1/leads", **params)
        assert body["total"] == len(body["leads"]), params
        return [lead["id"] for lead in body["leads"]]

    assert ids(min_score=10) == ["ann", "bob"]
    assert ids(min_score=10, max_score=25) == ["bob"]
    assert ids(max_score=3) == ["dee", "cy", "bot"]
    assert ids(min_score=0, max_score=0) == ["cy", "bot"]
    assert ids(min_score=27) == []
    # The last event's type, whatever became of it (bob's page_view scored nothing).
    assert ids(event_type="demo") == ["ann"]
    assert ids(event_type="page_view") == ["bob", "bot"]
    assert ids(event_type="page_view", min_score=5) == ["bob"]
    # Last activity: the last event not suppressed (bot's 2nd page_view, 5 minutes ago).
    assert ids(last_active="7d") == ["ann", "bob", "bot"]
    assert ids(last_active="30d", max_score=5) == ["dee", "bot"]
    assert ids(range="today", min_score=1, sort="score") == ["dee", "bob", "ann"]
    for params in ({"min_score": "x"}, {"sort": "name"}, {"max_score": 10**10}):
        response = client.get("/api/v1/leads", params)
        assert response.status_code == 400, params
        assert response.json()["status"] == 400


FILTERS = [
    {},
    {"min_score": 5},
    {"max_score": 3},
    {"min_score": 0, "max_score": 0},
    {"last_event_type": "page_view"},
    {"last_event_type": "demo", "min_score": 1},
    {"active_since": "7d"},
    {"active_since": "30d", "max_score": 5},
    {"created": "today", "min_score": 1},
]


@pytest.mark.parametrize("params", FILTERS)
@pytest.mark.parametrize("sort", ["-score", "score"])
def test_walking_the_ranking_and_gathering_the_matches_agree(scored, ou, monkeypatch, params, sort):
    """The two ways a page sorted by score is read (see lead_list._walks_the_ranking)."""
    now = timezone.now()
    params = dict(params)
    if "active_since" in params:
        params["active_since"] = now - datetime.timedelta(days=int(params["active_since"][:-1]))
    if "created" in params:
        params["created"] = TimeWindow(start=now - datetime.timedelta(hours=1))
    filters = LeadListFilters(**params)

    def pages(walk_cost):
        monkeypatch.setattr(lead_list, "WALK_COST", walk_cost)
        return [
            [(item.lead.lead_id, item.score) for item in page.items]
            for page in (
                leads_list(ou=ou, filters=filters, sort=sort, offset=offset, limit=2)
                for offset in range(0, 6, 2)
            )
        ]

    walked, gathered = pages(0), pages(10**9)
    assert walked == gathered
    assert (
        sum(len(page) for page in walked)
        == leads_list(ou=ou, filters=filters, sort=sort, offset=0, limit=50).total
    )


def test_lead_list_without_a_primary_ruleset_shows_0(client):
    for lead_id in ("a", "b"):
        client.post("/api/v1/leads", {"id": lead_id}, format="json")
    assert listed(client) == [("a", 0, "Cold"), ("b", 0, "Cold")]
    assert listed(client, min_score=1) == []


# --- Explanations ---------------------------------------------------------------------------


def test_lead_explain(client, scored):
    rs0 = scored["rulesets"]["rs0"]
    body = get(client, "/api/v1/leads/ann/explain")
    surge_event = scored["events"]["ann_surge"]
    rules = body.pop("snapshot")
    assert [(r["event_type"], r["weight"], r["active"]) for r in rules] == [
        ("demo", 10, True),
        ("email_open", 3, True),
    ]
    assert all(r["rule_id"].startswith("rl_") for r in rules)
    (boost,) = body.pop("surge_boost")
    assert boost == {
        **boost,
        "event_id": surge_event,
        "event_type": "demo",
        "weight": 10,
        "multiplier": 1.25,
        "delta": 13,
        "boost": 3,
    }
    assert body.pop("since").endswith("Z")
    assert body == {
        "lead_id": "ann",
        "ruleset_id": rs0,
        "score": 26,
        "top_drivers": [
            {"event_type": "demo", "points": 23, "events": 2},
            {"event_type": "email_open", "points": 3, "events": 1},
        ],
        "surge_total": 3,
        "surge_event_count": 1,
        "decay_applied": 0,
        "compensation_applied": 0,
        "inorganic_count": 0,
        "points_in_range": 26,
        "range_hours": 24,
    }
    other = get(client, "/api/v1/leads/ann/explain", ruleset_id="rs1")
    assert (other["score"], other["surge_total"]) == (68, 8)  # round(30 x 1.25) - 30
    assert get(client, "/api/v1/leads/bot/explain")["inorganic_count"] == 1
    dee = get(client, "/api/v1/leads/dee/explain")
    assert (dee["score"], dee["top_drivers"], dee["points_in_range"]) == (3, [], 0)
    dee = get(client, "/api/v1/leads/dee/explain", hours=24 * 11)
    assert dee["top_drivers"] == [{"event_type": "email_open", "points": 3, "events": 1}]
    for hours in (0, "x", 10**9):
        response = client.get("/api/v1/leads/ann/explain", {"hours": hours})
        assert response.status_code == 400, hours


def test_event_explain(client, scored):
    rs0, rs1 = scored["rulesets"]["rs0"], scored["rulesets"]["rs1"]
    body = get(client, f"/api/v1/events/{scored['events']['ann_surge']}/explain")
    rows = body.pop("rulesets")
    assert body.pop("occurred_at").endswith("Z")
    assert body == {
        "event_id": scored["events"]["ann_surge"],
        "lead_id": "ann",
        "event_type": "demo",
        "status": "processed",
        "suppression_reason": None,
    }
    for row in rows:
        assert len(row.pop("rule_ids")) == 1
    assert rows == [
        {"ruleset_id": rs0, "ruleset_name": "rs0", "kind": "rule", "weight": 10,
         "multiplier": 1.25, "delta": 13, "before": 13, "after": 26},
        {"ruleset_id": rs1, "ruleset_name": "rs1", "kind": "rule", "weight": 30,
         "multiplier": 1.25, "delta": 38, "before": 30, "after": 68},
    ]  # fmt: skip
    inorganic = get(client, f"/api/v1/events/{scored['events']['bot_2']}/explain")
    assert (inorganic["suppression_reason"], inorganic["rulesets"]) == ("inorganic", [])
    hidden = get(client, f"/api/v1/events/{scored['events']['bob_secret']}/explain")
    assert hidden["suppression_reason"] == "hidden_type"
    for event_id in ("ev_999999999", "ev_x", "123", "ev_" + "9" * 30):
        response = client.get(f"/api/v1/events/{event_id}/explain")
        assert response.status_code == 404, event_id


# --- Analytics ------------------------------------------------------------------------------


def test_analytics_totals_and_by_type_leave_hidden_types_out(client, scored):
    assert get(client, "/api/v1/analytics") == {
        "totals": {
            "events": 9,  # secret_type is hidden
            "leads": 4,
            "event_types": 3,
            "suppressed_events": 1,  # bot's 3rd page_view
            "points": 39,  # 26 + 10 + 3
        },
        "by_type": {"page_view": 4, "demo": 3, "email_open": 2},
    }
    last_day = get(client, "/api/v1/analytics", range="last_24h")
    assert (last_day["totals"]["events"], last_day["totals"]["points"]) == (8, 36)
    assert client.get("/api/v1/analytics", {"range": "forever"}).status_code == 400


def test_analytics_stats_of_the_last_24_hours(client, scored):
    assert get(client, "/api/v1/analytics/stats") == {
        "last_24h": {"events": 8, "leads": 3, "new_leads": 5, "points": 36},
        "top_events": [
            {"event_type": "page_view", "count": 4, "leads": 2},
            {"event_type": "demo", "count": 3, "leads": 2},
            {"event_type": "email_open", "count": 1, "leads": 1},
        ],
    }


def test_top_leads_and_recent_gains(client, scored):
    top = get(client, "/api/v1/analytics/top-leads")
    assert [(t["lead_id"], t["score"], t["engagement_level"]) for t in top] == [
        ("ann", 26, "Warm"),
        ("bob", 10, "Cold"),
        ("dee", 3, "Cold"),
    ]
    assert top[0]["last_event_type"] == "demo"
    assert [t["lead_id"] for t in get(client, "/api/v1/analytics/top-leads", limit=1)] == ["ann"]
    assert get(client, "/api/v1/analytics/recent-gains") == [
        {"lead_id": "ann", "gain": 26, "events": 3, "score": 26, "engagement_level": "Warm"},
        {"lead_id": "bob", "gain": 10, "events": 1, "score": 10, "engagement_level": "Cold"},
    ]
    hour = get(client, "/api/v1/analytics/recent-gains", hours=1)
    assert [g["lead_id"] for g in hour] == ["ann"]
    for params in ({"limit": 0}, {"limit": 101}, {"hours": 0}):
        assert client.get("/api/v1/analytics/recent-gains", params).status_code == 400


def test_hidden_types_scored_before_being_hidden_are_left_out_of_gains(client, scored, ou):
    EventTypeSetting.objects.create(org_id=ou.org_id, unit=ou, event_type="demo", hidden=True)
    gains = get(client, "/api/v1/analytics/recent-gains")
    assert [(g["lead_id"], g["gain"]) for g in gains] == [("ann", 3)]
    assert "demo" not in get(client, "/api/v1/analytics")["by_type"]


# --- Activity -------------------------------------------------------------------------------


def test_activity_min_score_and_has_delta_use_the_event_scores(client, scored):
    def types(lead_id, **params):
        body = get(client, f"/api/v1/leads/{lead_id}/activity", range="last_24h", **params)
        return [event["event_type"] for event in body["events"]]

    assert types("ann") == ["demo", "demo", "email_open"]
    assert types("ann", minScore=10) == ["demo", "demo"]
    assert types("ann", minScore=11) == ["demo"]
    assert types("ann", minScore=0) == ["demo", "demo", "email_open"]
    assert types("bob", hasDelta="true") == ["demo"]
    assert types("bob", hasDelta="0") == ["page_view", "secret_type"]
    assert types("bob", hasDelta="1", minScore=20) == []
    assert EngagementEvent.objects.unscoped().filter(event_type="secret_type").count() == 1
