"""The scoring configuration routes as an API client meets them: rulesets and rules, decay
rules, inorganic and attribute filters, levels, the surge policy, scoring settings and
event-type settings; their validation, roles, and the configuration version they bump."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from scoring.models import EngagementEvent, EventScore, Level, Ruleset, ScoringConfigVersion
from tests.api_clients import member_client_for
from tests.factories import make_unit

pytestmark = pytest.mark.django_db

API = "/api/v1"


def created(client, path, body) -> dict:
    response = client.post(f"{API}{path}", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def updated(client, path, body) -> dict:
    response = client.put(f"{API}{path}", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def deleted(client, path) -> None:
    response = client.delete(f"{API}{path}")
    assert response.status_code == 204, response.content


def listed(client, path) -> list:
    response = client.get(f"{API}{path}")
    assert response.status_code == 200, response.content
    return response.json()


def refused(client, method, path, body=None, status=400) -> dict:
    response = getattr(client, method)(f"{API}{path}", body or {}, format="json")
    assert response.status_code == status, response.content
    assert response.json()["status"] == status
    return response.json()


def version_of(ou) -> int:
    row = ScoringConfigVersion.objects.for_ou(ou).first()
    return row.version if row else 0


def ingest(client, event_type, lead_id="ann", count=1):
    for _ in range(count):
        response = client.post(
            f"{API}/events", {"lead_id": lead_id, "event_type": event_type}, format="json"
        )
        if response.status_code == 404:  # the lead does not exist yet
            client.post(f"{API}/leads", {"id": lead_id}, format="json")
            response = client.post(
                f"{API}/events", {"lead_id": lead_id, "event_type": event_type}, format="json"
            )
        assert response.status_code == 202, response.content


# --- Rulesets -------------------------------------------------------------------------------


def test_ruleset_crud_keeps_exactly_one_primary(client):
    first = created(client, "/rulesets", {"name": "Marketing"})
    assert first["is_primary"] is True  # the OU's first ruleset
    assert (first["score_column"], first["active"]) == ("total_score", True)
    assert first["ruleset_id"].startswith("rs_")

    second = created(client, "/rulesets", {"name": "Sales", "is_primary": True})
    third = created(client, "/rulesets", {"name": "Support", "score_column": "support"})
    primaries = [r["name"] for r in listed(client, "/rulesets") if r["is_primary"]]
    assert primaries == ["Sales"]
    assert [r["name"] for r in listed(client, "/rulesets")] == ["Marketing", "Sales", "Support"]

    updated(client, f"/rulesets/{third['ruleset_id']}", {"is_primary": True, "active": False})
    by_name = {r["name"]: r for r in listed(client, "/rulesets")}
    assert [name for name, r in by_name.items() if r["is_primary"]] == ["Support"]
    assert by_name["Support"]["active"] is False

    body = refused(client, "put", f"/rulesets/{third['ruleset_id']}", {"is_primary": False})
    assert "is_primary" in body["details"]

    renamed = updated(client, f"/rulesets/{second['ruleset_id']}", {"name": "Sales EMEA"})
    assert (renamed["name"], renamed["is_primary"]) == ("Sales EMEA", False)

    # Deleting the primary hands the role to the oldest remaining ruleset.
    deleted(client, f"/rulesets/{third['ruleset_id']}")
    primaries = [r["name"] for r in listed(client, "/rulesets") if r["is_primary"]]
    assert primaries == ["Marketing"]
    refused(client, "delete", f"/rulesets/{third['ruleset_id']}", status=404)


def test_ruleset_names_are_unique_in_an_ou(client):
    created(client, "/rulesets", {"name": "Marketing"})
    other = created(client, "/rulesets", {"name": "Other"})
    refused(client, "post", "/rulesets", {"name": "Marketing"}, status=409)
    refused(client, "put", f"/rulesets/{other['ruleset_id']}", {"name": "Marketing"}, status=409)


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 101}, {"name": "A", "is_primary": "maybe"}],
)
def test_invalid_rulesets_are_400(client, body):
    assert "details" in refused(client, "post", "/rulesets", body)


@pytest.mark.parametrize("ruleset_id", ["rs_999999", "rs_x", "nope", "rs_" + "9" * 30, "rl_1"])
def test_unknown_ruleset_ids_are_404(client, ruleset_id):
    refused(client, "put", f"/rulesets/{ruleset_id}", {"name": "X"}, status=404)
    refused(client, "get", f"/rulesets/{ruleset_id}/rules", status=404)


# --- Rules ----------------------------------------------------------------------------------


def test_rule_crud(client, ou):
    body = refused(client, "post", "/rules", {"event_type": "email_open", "weight": 5})
    assert "ruleset" in body["error"]  # the OU has no ruleset yet

    primary = created(client, "/rulesets", {"name": "Marketing"})
    other = created(client, "/rulesets", {"name": "Sales"})
    rule = created(client, "/rules", {"event_type": "email_open", "weight": 5})
    assert rule["ruleset_id"] == primary["ruleset_id"]
    assert rule["rule_id"].startswith("rl_")
    assert (rule["weight"], rule["active"], rule["icon"]) == (5, True, "")
    assert (rule["start_at"], rule["end_at"], rule["created_by"]) == (None, None, None)
    assert (rule["org_id"], rule["unit_id"]) == (ou.org_id, ou.id)

    penalty = created(
        client,
        "/rules",
        {
            "ruleset_id": other["ruleset_id"],
            "event_type": "unsubscribe",
            "weight": -10,
            "icon": "x",
            "start_at": "2025-01-01T00:00:00+01:00",
            "end_at": "2025-12-31T00:00:00Z",
        },
    )
    assert (penalty["weight"], penalty["start_at"]) == (-10, "2024-12-31T23:00:00Z")
    assert [r["rule_id"] for r in listed(client, f"/rulesets/{other['ruleset_id']}/rules")] == [
        penalty["rule_id"]
    ]
    assert len(listed(client, "/rules")) == 2

    moved = updated(
        client, f"/rules/{penalty['rule_id']}", {"ruleset_id": primary["ruleset_id"], "weight": -3}
    )
    assert (moved["ruleset_id"], moved["weight"], moved["icon"]) == (primary["ruleset_id"], -3, "x")
    assert listed(client, f"/rulesets/{other['ruleset_id']}/rules") == []

    deleted(client, f"/rules/{rule['rule_id']}")
    assert [r["rule_id"] for r in listed(client, "/rules")] == [penalty["rule_id"]]
    refused(client, "delete", f"/rules/{rule['rule_id']}", status=404)


def test_rules_filtered_by_ruleset(client, ou):
    marketing = created(client, "/rulesets", {"name": "Marketing"})
    sales = created(client, "/rulesets", {"name": "Sales"})
    opened = created(client, "/rules", {"event_type": "email_open", "weight": 5})
    clicked = created(client, "/rules", {"event_type": "email_click", "weight": 8})
    demo = created(
        client, "/rules", {"ruleset_id": sales["ruleset_id"], "event_type": "demo", "weight": 40}
    )

    def rule_ids(query: str) -> list[str]:
        return [rule["rule_id"] for rule in listed(client, f"/rules{query}")]

    assert rule_ids(f"?ruleset_id={marketing['ruleset_id']}") == [
        opened["rule_id"],
        clicked["rule_id"],
    ]
    assert rule_ids(f"?ruleset_id={sales['ruleset_id']}") == [demo["rule_id"]]
    assert len(rule_ids("")) == 3
    # Another OU's ruleset, a number that names none, junk: as /rulesets/{id}/rules does.
    theirs = created(member_client_for(make_unit(ou.org), org_role="admin"), "/rulesets",
                     {"name": "Theirs"})  # fmt: skip
    for unknown in (theirs["ruleset_id"], "rs_999999999999999999", "rs_1e3", "sales"):
        refused(client, "get", f"/rules?ruleset_id={unknown}", status=404)
    refused(client, "get", "/rules?ruleset_id=rs_1%00")
    refused(client, "get", "/rules?ruleset_id=" + "9" * 41)


def test_a_rule_in_another_ous_ruleset_is_404(client, ou):
    created(client, "/rulesets", {"name": "Mine"})
    sibling = member_client_for(make_unit(ou.org), org_role="admin")
    theirs = created(sibling, "/rulesets", {"name": "Theirs"})
    body = {"ruleset_id": theirs["ruleset_id"], "event_type": "x", "weight": 1}
    refused(client, "post", "/rules", body, status=404)


def test_members_are_recorded_on_the_rules_they_write(ou, member_client):
    created(member_client, "/rulesets", {"name": "Marketing"})
    rule = created(member_client, "/rules", {"event_type": "demo", "weight": 50})
    assert rule["created_by"] == rule["updated_by"]
    assert rule["created_by"].startswith("om_")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weight", 2.5),
        ("weight", "5"),
        ("weight", True),
        ("weight", None),
        ("weight", 10**12),
        ("event_type", ""),
        ("event_type", "x" * 101),
        ("event_type", "tab\there"),
        ("start_at", "2025-01-01T00:00:00"),
        ("icon", "i" * 51),
    ],
)
def test_invalid_rules_are_400(client, field, value):
    created(client, "/rulesets", {"name": "Marketing"})
    body = {"event_type": "email_open", "weight": 5, field: value}
    assert field in refused(client, "post", "/rules", body)["details"]


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/rules", '{"event_type": "a", "weight": 1e999}'),
        (
            "/filters/attributes",
            '{"name": "F", "conditions": [{"property": "a", '
            '"condition": "equals", "value": 1e999}]}',
        ),
        ("/levels/engagement", '{"name": "F", "min_score": -1e999}'),
    ],
)
def test_infinite_numbers_are_400(client, path, raw):
    created(client, "/rulesets", {"name": "Marketing"})
    response = client.post(f"{API}{path}", raw, content_type="application/json")
    assert response.status_code == 400, response.content


def test_whole_floats_are_whole_numbers(client):
    created(client, "/rulesets", {"name": "Marketing"})
    assert created(client, "/rules", {"event_type": "a", "weight": 2.0})["weight"] == 2


def test_a_rule_window_must_end_after_it_starts(client):
    created(client, "/rulesets", {"name": "Marketing"})
    window = {"start_at": "2025-06-01T00:00:00Z", "end_at": "2025-06-01T00:00:00Z"}
    body = refused(client, "post", "/rules", {"event_type": "a", "weight": 1, **window})
    assert "end_at" in body["details"]
    rule = created(
        client, "/rules", {"event_type": "a", "weight": 1, "start_at": "2025-06-01T00:00:00Z"}
    )
    # The stored start counts when only the end changes.
    body = refused(client, "put", f"/rules/{rule['rule_id']}", {"end_at": "2025-05-01T00:00:00Z"})
    assert "end_at" in body["details"]


# --- Decay rules ----------------------------------------------------------------------------


def test_decay_crud(client):
    decay = created(client, "/decays", {"inactive_for": 30, "unit": "days", "decrease": 25})
    assert decay["decay_id"].startswith("dc_")
    assert (decay["inactive_for"], decay["unit"], decay["decrease"]) == (30, "days", 25)
    changed = updated(client, f"/decays/{decay['decay_id']}", {"unit": "weeks"})
    assert (changed["inactive_for"], changed["unit"]) == (30, "weeks")
    assert [d["decay_id"] for d in listed(client, "/decays")] == [decay["decay_id"]]
    deleted(client, f"/decays/{decay['decay_id']}")
    assert listed(client, "/decays") == []


@pytest.mark.parametrize(
    "body",
    [
        {"inactive_for": 0, "unit": "days", "decrease": 1},
        {"inactive_for": 1, "unit": "months", "decrease": 1},
        {"inactive_for": 1, "unit": "days", "decrease": 0},
        {"inactive_for": 1.5, "unit": "days", "decrease": 1},
        {"unit": "days", "decrease": 1},
    ],
)
def test_invalid_decays_are_400(client, body):
    assert "details" in refused(client, "post", "/decays", body)


# --- Inorganic and attribute filters --------------------------------------------------------


def test_inorganic_filter_crud(client):
    body = {"event_type": "page_view", "count_threshold": 10, "time_window_ms": 60000}
    velocity = created(client, "/filters", body)
    assert velocity["group_events"] is False
    assert velocity["filter_id"].startswith("if_")
    changed = updated(client, f"/filters/{velocity['filter_id']}", {"group_events": True})
    assert (changed["group_events"], changed["count_threshold"]) == (True, 10)
    assert [f["filter_id"] for f in listed(client, "/filters")] == [velocity["filter_id"]]
    refused(client, "post", "/filters", {**body, "count_threshold": 0})
    refused(client, "post", "/filters", {**body, "time_window_ms": -1})
    deleted(client, f"/filters/{velocity['filter_id']}")
    assert listed(client, "/filters") == []


def test_attribute_filter_crud(client):
    internal = created(
        client,
        "/filters/attributes",
        {
            "name": "Internal traffic",
            "conditions": [
                {"property": "email", "condition": "ends_with", "value": "@acme.com"},
                {"property": "bot", "condition": "exists"},
            ],
        },
    )
    assert internal["filter_id"].startswith("af_")
    assert (internal["event_type"], internal["active"]) == (None, True)
    assert internal["conditions"][1] == {"property": "bot", "condition": "exists", "value": None}
    # /filters/attributes is its own resource, not an inorganic filter named "attributes".
    assert listed(client, "/filters") == []
    assert [f["name"] for f in listed(client, "/filters/attributes")] == ["Internal traffic"]

    changed = updated(
        client,
        f"/filters/attributes/{internal['filter_id']}",
        {
            "event_type": "page_view",
            "conditions": [{"property": "plan", "condition": "in", "value": ["free", "trial"]}],
        },
    )
    assert changed["event_type"] == "page_view"
    assert changed["conditions"] == [
        {"property": "plan", "condition": "in", "value": ["free", "trial"]}
    ]
    deleted(client, f"/filters/attributes/{internal['filter_id']}")
    assert listed(client, "/filters/attributes") == []


@pytest.mark.parametrize(
    "conditions",
    [
        [],
        [{"property": "a", "condition": "resembles", "value": "x"}],
        [{"property": "a", "condition": "equals"}],
        [{"property": "a", "condition": "equals", "value": None}],
        [{"property": "a", "condition": "equals", "value": {"nested": 1}}],
        [{"property": "a", "condition": "in", "value": [[1]]}],
        [{"condition": "exists"}],
        [{"property": "a", "condition": "exists"}] * 21,
        "not a list",
    ],
)
def test_invalid_attribute_filter_conditions_are_400_on_create_and_update(client, conditions):
    body = refused(client, "post", "/filters/attributes", {"name": "F", "conditions": conditions})
    assert "conditions" in body["details"]
    kept = [{"property": "a", "condition": "exists", "value": None}]
    existing = created(client, "/filters/attributes", {"name": "F", "conditions": kept})
    path = f"/filters/attributes/{existing['filter_id']}"
    # An update changes only the fields it is given, but a condition it gives is whole.
    body = refused(client, "put", path, {"conditions": conditions})
    assert "conditions" in body["details"]
    assert listed(client, "/filters/attributes")[0]["conditions"] == kept


# --- Levels ---------------------------------------------------------------------------------

DEFAULT_LEVELS = [("Cold", 0, 24), ("Warm", 25, 49), ("Hot", 50, 74), ("Very Hot", 75, None)]


def ranges(levels) -> list[tuple]:
    return [(level["name"], level["min_score"], level["max_score"]) for level in levels]


def test_a_new_ou_starts_with_the_default_levels_of_every_kind(ou, admin_client):
    ou.org.abm_enabled = True
    ou.org.save()
    for kind in ("engagement", "profile", "account"):
        levels = listed(admin_client, f"/levels/{kind}")
        assert ranges(levels) == DEFAULT_LEVELS
        assert all(level["stage_id"].startswith("st_") for level in levels)


def test_an_ou_created_through_the_api_gets_default_levels(ou, admin_client):
    response = admin_client.post(f"{API}/org-units", {"name": "Second"}, format="json")
    assert response.status_code == 201, response.content
    unit_id = response.json()["unit_id"]
    assert Level.objects.for_ou(unit_id).count() == 12


def test_the_data_migration_gives_existing_ous_default_levels(ou):
    Level.objects.for_ou(ou).filter(kind="profile").delete()
    Level.objects.for_ou(ou).filter(kind="engagement").exclude(name="Cold").delete()
    migration = importlib.import_module("scoring.migrations.0004_default_levels")
    # The models as the migration sees them (historical ones, with plain managers).
    state = MigrationLoader(connection).project_state(("scoring", "0004_default_levels"))
    migration.create_default_levels(state.apps, None)
    levels = Level.objects.for_ou(ou).order_by("min_score")
    assert [lv.name for lv in levels.filter(kind="profile")] == [n for n, _, _ in DEFAULT_LEVELS]
    assert [lv.name for lv in levels.filter(kind="engagement")] == ["Cold"]  # left alone
    assert levels.filter(kind="account").count() == 4


def test_level_crud_without_overlaps(client):
    levels = listed(client, "/levels/engagement")
    very_hot = levels[-1]
    capped = updated(client, f"/levels/engagement/{very_hot['stage_id']}", {"max_score": 99})
    assert ranges([capped]) == [("Very Hot", 75, 99)]
    on_fire = created(client, "/levels/engagement", {"name": "On fire", "min_score": 100})
    assert (on_fire["max_score"], on_fire["level_id"]) == (None, on_fire["stage_id"])
    assert ranges(listed(client, "/levels/engagement"))[-2:] == [
        ("Very Hot", 75, 99),
        ("On fire", 100, None),
    ]
    deleted(client, f"/levels/engagement/{on_fire['stage_id']}")
    assert len(listed(client, "/levels/engagement")) == 4
    # Kinds are separate: profile levels did not change.
    assert ranges(listed(client, "/levels/profile")) == DEFAULT_LEVELS


def test_overlapping_levels_are_400_naming_the_level(client):
    body = refused(
        client, "post", "/levels/engagement", {"name": "Lukewarm", "min_score": 20, "max_score": 30}
    )
    assert "Cold" in body["error"]
    assert "Warm" in body["error"]
    assert "min_score" in body["details"]
    warm = listed(client, "/levels/engagement")[1]
    body = refused(client, "put", f"/levels/engagement/{warm['stage_id']}", {"max_score": 50})
    assert "Hot" in body["error"]
    # A level may keep its own range.
    assert updated(client, f"/levels/engagement/{warm['stage_id']}", {"name": "Tepid"})


def test_a_level_must_not_end_below_its_start(client):
    body = refused(
        client, "post", "/levels/profile", {"name": "X", "min_score": 500, "max_score": 400}
    )
    assert "max_score" in body["details"]


@pytest.mark.parametrize(
    "body",
    [{"name": "X"}, {"name": "X", "min_score": 1.5}, {"name": "", "min_score": 200}],
)
def test_invalid_levels_are_400(client, body):
    assert "details" in refused(client, "post", "/levels/engagement", body)


def test_the_last_level_of_a_kind_cannot_be_deleted(client):
    levels = listed(client, "/levels/profile")
    for level in levels[:-1]:
        deleted(client, f"/levels/profile/{level['stage_id']}")
    body = refused(client, "delete", f"/levels/profile/{levels[-1]['stage_id']}")
    assert "last" in body["error"]
    assert len(listed(client, "/levels/profile")) == 1


def test_a_level_of_another_kind_is_404(client):
    profile = listed(client, "/levels/profile")[0]
    refused(client, "delete", f"/levels/engagement/{profile['stage_id']}", status=404)


def test_account_levels_need_abm(ou, client):
    refused(client, "get", "/levels/account", status=403)
    refused(client, "post", "/levels/account", {"name": "X", "min_score": 500}, status=403)
    ou.org.abm_enabled = True
    ou.org.save()
    assert len(listed(client, "/levels/account")) == 4


# --- Surge policy ---------------------------------------------------------------------------


def test_surge_policy_defaults_to_the_standard_preset(ou, member_client):
    policy = listed(member_client, "/settings/ou/surge-policy")
    assert policy == {
        "org_id": ou.org_id,
        "unit_id": ou.id,
        "mode": "standard",
        "bands": [
            {"min_events": 3, "multiplier": 1.25},
            {"min_events": 5, "multiplier": 1.5},
            {"min_events": 10, "multiplier": 2.0},
        ],
        "idle_reset_seconds": 30 * 60,
        "multiplier_cap": 2.0,
    }


def test_surge_policy_modes(ou, member_client):
    body = refused(member_client, "put", "/settings/ou/surge-policy", {"mode": "custom"})
    assert "bands" in body["details"]

    bands = [{"min_events": 4, "multiplier": "1.5"}, {"min_events": 2, "multiplier": 1.1}]
    policy = updated(
        member_client,
        "/settings/ou/surge-policy",
        {"mode": "custom", "bands": bands, "multiplier_cap": 1.4, "idle_reset_seconds": 600},
    )
    assert policy["bands"] == [
        {"min_events": 2, "multiplier": 1.1},
        {"min_events": 4, "multiplier": 1.5},
    ]
    assert (policy["multiplier_cap"], policy["idle_reset_seconds"]) == (1.4, 600)

    gentle = updated(member_client, "/settings/ou/surge-policy", {"mode": "gentle"})
    assert gentle["bands"][0] == {"min_events": 3, "multiplier": 1.1}
    assert gentle["multiplier_cap"] == 1.5
    off = updated(member_client, "/settings/ou/surge-policy", {"mode": "off"})
    assert (off["bands"], off["multiplier_cap"]) == ([], 1.0)
    # The custom bands were kept for the custom mode.
    again = updated(member_client, "/settings/ou/surge-policy", {"mode": "custom"})
    assert len(again["bands"]) == 2

    reset = updated(member_client, "/settings/ou/surge-policy", {"idle_reset_seconds": None})
    assert reset["idle_reset_seconds"] == ou.session_timeout_minutes * 60


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "turbo"},
        {"multiplier_cap": 3.5},
        {"multiplier_cap": 0.5},
        {"idle_reset_seconds": 0},
        {"mode": "custom", "bands": [{"min_events": 0, "multiplier": 1.5}]},
        {"mode": "custom", "bands": [{"min_events": 2, "multiplier": 4}]},
        {"mode": "custom", "bands": [{"min_events": 2, "multiplier": 1.255}]},
        {"mode": "custom", "bands": [{"min_events": 2, "multiplier": "NaN"}]},
        {"mode": "custom", "bands": [{"min_events": 2, "multiplier": 1.5}] * 2},
        {"mode": "custom", "bands": "many"},
    ],
)
def test_invalid_surge_policies_are_400(member_client, body):
    assert "details" in refused(member_client, "put", "/settings/ou/surge-policy", body)


def test_surge_policy_needs_a_members_jwt(client):
    refused(client, "get", "/settings/ou/surge-policy", status=403)


# --- Scoring settings -----------------------------------------------------------------------


def test_scoring_settings(ou, member_client, admin_client):
    assert listed(member_client, "/settings/scoring") == {
        "allow_negative_scores": False,
        "abm_enabled": False,
        "session_timeout_minutes": 30,
    }
    changed = updated(member_client, "/settings/scoring", {"session_timeout_minutes": 45})
    assert changed["session_timeout_minutes"] == 45
    # Unchanged org values may be sent by anyone; changing them needs an org admin.
    updated(
        member_client, "/settings/scoring", {"abm_enabled": False, "allow_negative_scores": False}
    )
    refused(member_client, "put", "/settings/scoring", {"abm_enabled": True}, status=403)
    changed = updated(
        admin_client, "/settings/scoring", {"abm_enabled": True, "allow_negative_scores": True}
    )
    assert changed == {
        "allow_negative_scores": True,
        "abm_enabled": True,
        "session_timeout_minutes": 45,
    }
    assert listed(member_client, "/settings/ou/surge-policy")["idle_reset_seconds"] == 45 * 60
    refused(member_client, "put", "/settings/scoring", {"session_timeout_minutes": 0})


def test_org_settings_bump_every_ou_of_the_org(ou, admin_client):
    sibling = make_unit(ou.org)
    elsewhere = make_unit()
    updated(admin_client, "/settings/scoring", {"allow_negative_scores": True})
    assert (version_of(ou), version_of(sibling), version_of(elsewhere)) == (1, 1, 0)
    updated(admin_client, "/settings/scoring", {"session_timeout_minutes": 10})
    assert (version_of(ou), version_of(sibling)) == (2, 1)


def test_basic_credentials_cannot_change_org_settings(client):
    refused(client, "put", "/settings/scoring", {"allow_negative_scores": True}, status=403)
    assert updated(client, "/settings/scoring", {"session_timeout_minutes": 5})


# --- Roles and the configuration version ----------------------------------------------------

LISTS = [
    "/rulesets",
    "/rules",
    "/decays",
    "/filters",
    "/filters/attributes",
    "/levels/engagement",
    "/levels/profile",
    "/settings/ou/surge-policy",
    "/settings/scoring",
    "/settings/event-types",
]
WRITES = [
    ("post", "/rulesets", {"name": "Mine"}),
    ("post", "/decays", {"inactive_for": 1, "unit": "days", "decrease": 1}),
    ("post", "/filters", {"event_type": "a", "count_threshold": 1, "time_window_ms": 1}),
    (
        "post",
        "/filters/attributes",
        {"name": "F", "conditions": [{"property": "a", "condition": "exists"}]},
    ),
    ("post", "/levels/engagement", {"name": "Below", "min_score": -100, "max_score": -1}),
    ("put", "/settings/ou/surge-policy", {"mode": "off"}),
    ("put", "/settings/scoring", {"session_timeout_minutes": 5}),
]


def test_a_viewer_reads_the_configuration_but_cannot_change_it(ou, client):
    ruleset = created(client, "/rulesets", {"name": "Marketing"})
    viewer = member_client_for(ou, role="Viewer")
    for path in LISTS:
        listed(viewer, path)
    for method, path, body in WRITES:
        refused(viewer, method, path, body, status=403)
    refused(viewer, "put", f"/rulesets/{ruleset['ruleset_id']}", {"name": "X"}, status=403)
    refused(viewer, "delete", f"/rulesets/{ruleset['ruleset_id']}", status=403)
    assert listed(viewer, "/rulesets") == [ruleset]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_write_bumps_the_configuration_version(ou, member_client, method, path, body):
    before = version_of(ou)
    response = getattr(member_client, method)(f"{API}{path}", body, format="json")
    assert response.status_code in (200, 201), response.content
    assert version_of(ou) == before + 1


def test_a_refused_write_does_not_bump_the_version(ou, client):
    created(client, "/rulesets", {"name": "Marketing"})
    created(client, "/rules", {"event_type": "a", "weight": 1})
    assert version_of(ou) == 2
    refused(client, "post", "/levels/engagement", {"name": "X", "min_score": 10, "max_score": 20})
    refused(client, "post", "/rulesets", {"name": "Marketing"}, status=409)
    assert version_of(ou) == 2
    rule = listed(client, "/rules")[0]
    updated(client, f"/rules/{rule['rule_id']}", {"active": False})
    deleted(client, f"/rules/{rule['rule_id']}")
    assert version_of(ou) == 4


# --- Event-type settings --------------------------------------------------------------------


def test_event_type_settings_and_hidden_types(client, ou, member_client):
    ingest(client, "page_view", count=3)
    ingest(client, "form_submit")
    assert listed(member_client, "/settings/event-types") == [
        {
            "event_type": "form_submit",
            "hidden": False,
            "max_processing_scope": "activate",
            "events_count": 1,
        },
        {
            "event_type": "page_view",
            "hidden": False,
            "max_processing_scope": "activate",
            "events_count": 3,
        },
    ]
    before = version_of(ou)
    setting = updated(member_client, "/settings/event-types/page_view", {"hidden": True})
    assert (setting["hidden"], setting["events_count"]) == (True, 3)
    assert version_of(ou) == before + 1
    assert listed(client, "/events/types") == ["form_submit"]

    scoped = updated(
        member_client, "/settings/event-types/page_view", {"max_processing_scope": "observe"}
    )
    assert (scoped["hidden"], scoped["max_processing_scope"]) == (True, "observe")
    refused(
        member_client, "put", "/settings/event-types/page_view", {"max_processing_scope": "act"}
    )

    updated(member_client, "/settings/event-types/page_view", {"hidden": False})
    assert listed(client, "/events/types") == ["form_submit", "page_view"]


def test_event_types_with_slashes_and_unknown_types(client, member_client):
    ingest(client, "web/page view")
    assert updated(member_client, "/settings/event-types/web/page view", {"hidden": True})["hidden"]
    assert listed(member_client, "/settings/event-types/web/page view/delete-preview") == {
        "events_count": 1,
        "event_scores_count": 0,
    }
    for method, path in [
        ("get", "/settings/event-types/never_seen/delete-preview"),
        ("delete", "/settings/event-types/never_seen/events"),
    ]:
        refused(member_client, method, path, {"hidden": True}, status=404)


def test_a_type_is_hidden_and_scoped_before_its_first_event(client, ou, member_client):
    before = version_of(ou)
    setting = updated(member_client, "/settings/event-types/webinar_attended", {"hidden": True})
    assert setting == {
        "event_type": "webinar_attended",
        "hidden": True,
        "max_processing_scope": "activate",
        "events_count": 0,
    }
    assert version_of(ou) == before + 1
    scoped = updated(
        member_client, "/settings/event-types/crm_sync", {"max_processing_scope": "observe"}
    )
    assert (scoped["hidden"], scoped["max_processing_scope"]) == (False, "observe")
    assert [s["event_type"] for s in listed(member_client, "/settings/event-types")] == [
        "crm_sync",
        "webinar_attended",
    ]

    # Its first events then follow the setting: hidden from the type list.
    ingest(client, "webinar_attended", count=2)
    ingest(client, "form_submit")
    assert listed(client, "/events/types") == ["form_submit"]
    setting = listed(member_client, "/settings/event-types/webinar_attended/delete-preview")
    assert setting == {"events_count": 2, "event_scores_count": 0}


@pytest.mark.parametrize("event_type", ["a" * 101, "tab%09type", "bell%07", "nul%00type"])
def test_a_setting_for_a_type_no_event_could_carry_is_400(member_client, event_type):
    refused(member_client, "put", f"/settings/event-types/{event_type}", {"hidden": True})
    # A line break matches no route at all.
    refused(member_client, "put", "/settings/event-types/new%0Aline", {"hidden": True}, status=404)
    assert listed(member_client, "/settings/event-types") == []


def test_deleting_the_events_of_a_type(client, ou, member_client):
    ingest(client, "page_view", count=3)
    ingest(client, "page_view", lead_id="bob")
    ingest(client, "form_submit")
    ruleset = Ruleset.objects.create(org_id=ou.org_id, unit=ou, name="Marketing", is_primary=True)
    # Score rows as the pipeline writes them, for two of the events.
    for event in EngagementEvent.objects.for_ou(ou).order_by("seq")[:2]:
        EventScore.objects.create(
            event=event,
            lead=event.lead,
            ruleset=ruleset,
            unit=ou,
            kind="rule",
            weight=5,
            multiplier=1,
            delta=5,
            score_before=0,
            score_after=5,
            occurred_at=timezone.now(),
        )
    preview = listed(member_client, "/settings/event-types/page_view/delete-preview")
    assert preview == {"events_count": 4, "event_scores_count": 2}

    response = member_client.delete(f"{API}/settings/event-types/page_view/events")
    assert response.status_code == 200, response.content
    assert response.json() == {"events_deleted": 4, "event_scores_deleted": 2}
    assert listed(client, "/events/types") == ["form_submit"]
    assert EventScore.objects.unscoped().count() == 0
    refused(member_client, "delete", "/settings/event-types/page_view/events", status=404)


def test_event_type_settings_need_a_members_jwt_and_the_operator_role(client, ou):
    ingest(client, "page_view")
    refused(client, "get", "/settings/event-types", status=403)
    viewer = member_client_for(ou, role="Viewer")
    assert len(listed(viewer, "/settings/event-types")) == 1
    refused(viewer, "put", "/settings/event-types/page_view", {"hidden": True}, status=403)
    refused(viewer, "delete", "/settings/event-types/page_view/events", status=403)
