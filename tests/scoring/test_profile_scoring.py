"""Profile (fit) and account scoring as an API client meets it (architecture.md §4.8, §4.9):
rulesets, rules and field mappings, scores recomputed when metadata or rules change, mappings
applied by scored events, /admin/apply-profile-mappings, ABM and tenancy."""

import pytest

from scoring.models import EngagementEvent, LeadProfileScore
from scoring.services.pipeline import process_pending_events
from tests.api_clients import member_client_for
from tests.factories import make_credential

pytestmark = pytest.mark.django_db

API = "/api/v1"


def call(client, method, path, body=None, *, status=200):
    response = getattr(client, method)(f"{API}{path}", body, format="json")
    assert response.status_code == status, response.content
    if status == 204:
        return None
    if status >= 400:
        assert response.json()["status"] == status
    return response.json()


def ingest(client, lead_id, event_type, metadata, minute):
    body = {
        "lead_id": lead_id,
        "event_type": event_type,
        "metadata": metadata,
        "timestamp": f"2026-01-05T09:{minute:02d}:00Z",
    }
    call(client, "post", "/events", body, status=202)


def profile(client, lead_id) -> dict:
    return call(client, "get", f"/leads/{lead_id}/profile")


def score_and_level(client, lead_id) -> tuple:
    result = profile(client, lead_id)
    return result["profile_score"], result["profile_level"]


def fit_rules(client, prefix, rules) -> dict:
    """A ruleset under `prefix` (`/profile` or `/accounts`) holding the given rules."""
    ruleset = call(client, "post", f"{prefix}/rulesets", {"name": "Fit"}, status=201)
    for rule in rules:
        call(client, "post", f"{prefix}/rulesets/{ruleset['id']}/rules", rule, status=201)
    return ruleset


def profile_rule(prop: str, condition: str, value: str | None, weight: int) -> dict:
    """A profile rule's body; `value` None leaves comparison_value out."""
    body = {"profile_property": prop, "condition": condition, "weight": weight}
    return body if value is None else {**body, "comparison_value": value}


# employees "250" >= "200": +20; industry in "SaaS, fintech" (case-insensitive): +15;
# title equals "cto": +10; country not_exists: +5 (a missing property matches only not_*).
ICP_RULES = [
    profile_rule("employees", "greater_or_equal", "200", 20),
    profile_rule("industry", "in", "SaaS, fintech", 15),
    profile_rule("title", "equals", "cto", 10),
    profile_rule("country", "not_exists", None, 5),
]


# --- CRUD -----------------------------------------------------------------------------------


def test_profile_rulesets_rules_and_mappings_crud(member_client):
    first = call(member_client, "post", "/profile/rulesets", {"name": "ICP"}, status=201)
    assert first["id"].startswith("prs_")
    assert (first["enabled"], first["is_primary"]) == (True, True)  # the OU's first
    second = call(
        member_client, "post", "/profile/rulesets", {"name": "SMB", "is_primary": True}, status=201
    )
    rulesets = call(member_client, "get", "/profile/rulesets")
    assert [(r["name"], r["is_primary"]) for r in rulesets] == [("ICP", False), ("SMB", True)]
    call(member_client, "post", "/profile/rulesets", {"name": "ICP"}, status=409)
    renamed = call(
        member_client,
        "put",
        f"/profile/rulesets/{first['id']}",
        {"name": "ICP 2", "enabled": False},
    )
    assert (renamed["name"], renamed["enabled"], renamed["is_primary"]) == ("ICP 2", False, False)
    refused = call(
        member_client, "put", f"/profile/rulesets/{second['id']}", {"is_primary": False}, status=400
    )
    assert "is_primary" in refused["details"]

    rules_path = f"/profile/rulesets/{second['id']}/rules"
    rule = call(member_client, "post", rules_path, ICP_RULES[0], status=201)
    assert rule["id"].startswith("prl_")
    assert (rule["ruleset_id"], rule["profile_property"], rule["comparison_value"]) == (
        second["id"], "employees", "200",
    )  # fmt: skip
    exists = call(
        member_client, "post", rules_path,
        {"profile_property": "email", "condition": "exists", "weight": 3, "ui_order": -1},
        status=201,
    )  # fmt: skip
    assert exists["comparison_value"] == ""
    assert [r["id"] for r in call(member_client, "get", rules_path)] == [exists["id"], rule["id"]]
    changed = call(member_client, "put", f"{rules_path}/{rule['id']}", {"weight": 25})
    assert (changed["weight"], changed["condition"]) == (25, "greater_or_equal")
    call(member_client, "delete", f"{rules_path}/{exists['id']}", status=204)
    assert [r["id"] for r in call(member_client, "get", rules_path)] == [rule["id"]]
    # A rule is addressed through its own ruleset only.
    call(
        member_client, "put", f"/profile/rulesets/{first['id']}/rules/{rule['id']}", {}, status=404
    )

    mapping = call(
        member_client, "post", "/profile/mappings",
        {"source_field": "utm_source", "profile_property": "acquisition_source"}, status=201,
    )  # fmt: skip
    assert mapping["id"].startswith("pm_")
    assert (mapping["update_behavior"], mapping["active"]) == ("always_latest", True)
    updated = call(
        member_client, "put", f"/profile/mappings/{mapping['id']}", {"update_behavior": "append"}
    )
    assert (updated["update_behavior"], updated["profile_property"]) == (
        "append", "acquisition_source",
    )  # fmt: skip
    assert [m["id"] for m in call(member_client, "get", "/profile/mappings")] == [mapping["id"]]
    call(member_client, "delete", f"/profile/mappings/{mapping['id']}", status=204)
    assert call(member_client, "get", "/profile/mappings") == []

    # Deleting the primary hands the role to the oldest remaining ruleset.
    call(member_client, "delete", f"/profile/rulesets/{second['id']}", status=204)
    assert [
        (r["name"], r["is_primary"]) for r in call(member_client, "get", "/profile/rulesets")
    ] == [("ICP 2", True)]
    call(member_client, "get", rules_path, status=404)


def test_validation_answers_400(member_client):
    ruleset = call(member_client, "post", "/profile/rulesets", {"name": "ICP"}, status=201)
    rules = f"/profile/rulesets/{ruleset['id']}/rules"
    base = {"profile_property": "employees", "weight": 5}
    body = call(member_client, "post", rules, {**base, "condition": "about"}, status=400)
    assert "condition" in body["details"]
    body = call(member_client, "post", rules, {**base, "condition": "equals"}, status=400)
    assert body["details"] == {"comparison_value": ["Required for the condition 'equals'."]}
    call(
        member_client,
        "post",
        rules,
        {**base, "condition": "in", "comparison_value": " "},
        status=400,
    )
    body = call(
        member_client, "post", rules,
        {**base, "condition": "greater_than", "comparison_value": "many"}, status=400,
    )  # fmt: skip
    assert "comparison_value" in body["details"]
    call(member_client, "post", rules, {**base, "condition": "equals", "weight": 2.5}, status=400)
    rule = call(
        member_client, "post", rules, {**base, "condition": "equals", "comparison_value": "ten"},
        status=201,
    )  # fmt: skip
    # The condition and the value after an update must go together.
    call(member_client, "put", f"{rules}/{rule['id']}", {"condition": "less_than"}, status=400)
    body = call(
        member_client, "post", "/profile/mappings",
        {"source_field": "a", "profile_property": "b", "update_behavior": "sometimes"},
        status=400,
    )  # fmt: skip
    assert "update_behavior" in body["details"]
    call(member_client, "post", "/profile/mappings", {"source_field": "a"}, status=400)


def test_viewers_read_operators_write(ou, member_client):
    call(member_client, "post", "/profile/rulesets", {"name": "ICP"}, status=201)
    viewer = member_client_for(ou, role="Viewer")
    assert [r["name"] for r in call(viewer, "get", "/profile/rulesets")] == ["ICP"]
    call(viewer, "post", "/profile/rulesets", {"name": "Other"}, status=403)
    call(viewer, "post", "/profile/mappings", {"source_field": "a", "profile_property": "b"},
         status=403)  # fmt: skip
    call(viewer, "post", "/admin/apply-profile-mappings", status=403)


# --- Scores from metadata -------------------------------------------------------------------


def test_profile_score_follows_the_leads_metadata(member_client):
    ruleset = fit_rules(member_client, "/profile", ICP_RULES)
    call(
        member_client, "post", "/leads", {"id": "ann", "metadata": {"employees": "250"}}, status=201
    )
    # Created: employees 250 >= 200 (+20), country missing (+5); no industry, no title.
    assert score_and_level(member_client, "ann") == (25, "Warm")

    call(member_client, "patch", "/leads/ann/metadata", {"industry": "saas", "title": "CEO"})
    # 20 + 15 (saas in "SaaS, fintech") + 5; title CEO is not cto.
    assert score_and_level(member_client, "ann") == (40, "Warm")
    result = profile(member_client, "ann")
    assert result["metadata"] == {"employees": "250", "industry": "saas", "title": "CEO"}
    assert LeadProfileScore.objects.unscoped().get().score == 40  # one lead, one ruleset

    call(member_client, "patch", "/leads/ann/metadata", {"employees": 150, "country": "FR"})
    assert profile(member_client, "ann")["profile_score"] == 15  # only the industry holds

    call(member_client, "put", "/leads/ann", {"metadata": {"title": "CTO", "industry": "Fintech"}})
    assert profile(member_client, "ann")["profile_score"] == 30  # 15 + 10 + 5 (no country)

    # A change of the rules recomputes the scores before it answers.
    rules = call(member_client, "get", f"/profile/rulesets/{ruleset['id']}/rules")
    title_rule = next(rule for rule in rules if rule["profile_property"] == "title")
    call(
        member_client, "put", f"/profile/rulesets/{ruleset['id']}/rules/{title_rule['id']}",
        {"weight": 60},
    )  # fmt: skip
    assert score_and_level(member_client, "ann") == (80, "Very Hot")

    # Disabled rulesets score nothing; enabling recomputes.
    call(member_client, "put", f"/profile/rulesets/{ruleset['id']}", {"enabled": False})
    assert profile(member_client, "ann")["profile_score"] is None
    assert not LeadProfileScore.objects.unscoped().exists()
    call(member_client, "put", f"/profile/rulesets/{ruleset['id']}", {"enabled": True})
    assert LeadProfileScore.objects.unscoped().get().score == 80


def test_profile_properties_are_the_distinct_lead_metadata_keys(member_client):
    for lead_id, metadata in (
        ("ann", {"plan": "pro", "role": "cto"}),
        ("bob", {"industry": "saas", "plan": "x"}),
    ):
        call(member_client, "post", "/leads", {"id": lead_id, "metadata": metadata}, status=201)
    assert call(member_client, "get", "/profile/properties") == ["industry", "plan", "role"]


# --- Field mappings applied by scored events ------------------------------------------------


def test_mappings_of_scored_events_write_metadata_then_the_profile_score(client, member_client):
    for body in (
        {"source_field": "utm_source", "profile_property": "acquisition_source"},
        {"source_field": "plan", "profile_property": "plan", "update_behavior": "set_once"},
        {"source_field": "page", "profile_property": "page", "update_behavior": "append"},
    ):
        call(member_client, "post", "/profile/mappings", body, status=201)
    fit_rules(member_client, "/profile", [
        profile_rule("acquisition_source", "equals", "LinkedIn", 30),
        profile_rule("plan", "equals", "pro", 10),
        profile_rule("page_list", "contains", "/pricing", 20),
    ])  # fmt: skip
    call(member_client, "post", "/leads", {"id": "ann"}, status=201)
    # Out of arrival order on purpose: mappings follow occurred_at.
    ingest(client, "ann", "page_view", {"utm_source": "google", "plan": "pro", "page": "/"}, 1)
    ingest(client, "ann", "page_view", {"utm_source": "linkedin", "page": "/pricing"}, 3)
    ingest(client, "ann", "page_view", {"plan": "free", "page": "/"}, 2)
    ingest(client, "ann", "page_view", {"page": "/"}, 4)
    assert profile(client, "ann")["profile_score"] == 0  # nothing scored yet

    process_pending_events()

    result = profile(client, "ann")
    assert result["metadata"] == {
        "acquisition_source": "linkedin",  # always_latest: minute 3's
        "plan": "pro",  # set_once: minute 1's; minute 2's "free" did not overwrite it
        "page_list": ["/pricing", "/"],  # append: distinct values, the newest last
    }
    # linkedin equals LinkedIn (case-insensitive) 30 + plan pro 10 + /pricing listed 20.
    assert result["profile_score"] == 60


def test_append_keeps_the_last_ten_distinct_values(client, member_client):
    call(member_client, "post", "/profile/mappings",
         {"source_field": "page", "profile_property": "page", "update_behavior": "append"},
         status=201)  # fmt: skip
    call(member_client, "post", "/leads", {"id": "ann"}, status=201)
    for minute in range(12):
        ingest(client, "ann", "page_view", {"page": f"/p{minute}"}, minute)
    process_pending_events()
    assert profile(client, "ann")["metadata"]["page_list"] == [f"/p{n}" for n in range(2, 12)]


def test_suppressed_and_observe_only_events_apply_no_mapping(client, member_client, ou):
    call(member_client, "post", "/profile/mappings",
         {"source_field": "utm_source", "profile_property": "source"}, status=201)  # fmt: skip
    call(
        member_client, "post", "/filters/attributes",
        {"name": "Bots", "conditions": [{"property": "bot", "condition": "equals",
                                         "value": "yes"}]},
        status=201,
    )  # fmt: skip
    call(member_client, "post", "/leads", {"id": "ann"}, status=201)
    ingest(client, "ann", "page_view", {"utm_source": "google"}, 1)
    ingest(client, "ann", "page_view", {"utm_source": "botnet", "bot": "yes"}, 2)
    ingest(client, "ann", "crm_sync", {"utm_source": "crm"}, 3)
    call(
        member_client, "put", "/settings/event-types/crm_sync", {"max_processing_scope": "observe"}
    )

    process_pending_events()

    reasons = (
        EngagementEvent.objects.unscoped().order_by("occurred_at").values_list("suppression_reason")
    )
    assert [reason for (reason,) in reasons] == [None, "metadata_filter", None]
    # Minute 2 was suppressed (metadata_filter), minute 3 is observe-only: google stays.
    assert profile(client, "ann")["metadata"] == {"source": "google"}


def test_apply_profile_mappings_to_existing_leads(client, member_client):
    call(member_client, "post", "/leads", {"id": "ann", "metadata": {"plan": "free"}}, status=201)
    call(member_client, "post", "/leads", {"id": "bob"}, status=201)
    ingest(client, "ann", "signup", {"plan": "pro", "utm_source": "ads"}, 1)
    ingest(client, "ann", "visit", {"utm_source": "newsletter"}, 2)
    ingest(client, "bob", "visit", {"referrer": "x"}, 1)
    process_pending_events()  # no mappings yet: metadata untouched
    assert profile(client, "ann")["metadata"] == {"plan": "free"}

    call(member_client, "post", "/profile/mappings",
         {"source_field": "plan", "profile_property": "plan", "update_behavior": "set_once"},
         status=201)  # fmt: skip
    call(member_client, "post", "/profile/mappings",
         {"source_field": "utm_source", "profile_property": "source"}, status=201)  # fmt: skip
    fit_rules(member_client, "/profile", [
        {"profile_property": "source", "condition": "exists", "weight": 25},
    ])  # fmt: skip
    assert profile(client, "ann")["profile_score"] == 0

    result = call(client, "post", "/admin/apply-profile-mappings")  # Basic is allowed
    assert result == {"leads_processed": 2, "leads_updated": 1, "profile_scores_updated": 1}
    ann = profile(client, "ann")
    # set_once keeps "free"; always_latest takes the latest event's value.
    assert ann["metadata"] == {"plan": "free", "source": "newsletter"}
    assert (ann["profile_score"], ann["profile_level"]) == (25, "Warm")
    assert profile(client, "bob")["profile_score"] == 0

    again = call(client, "post", "/admin/apply-profile-mappings")
    assert again == {"leads_processed": 2, "leads_updated": 0, "profile_scores_updated": 0}


def test_a_merge_leaves_the_sources_without_profile_scores(member_client):
    fit_rules(member_client, "/profile", ICP_RULES)
    call(member_client, "post", "/leads", {"id": "ann", "metadata": {"employees": 10}}, status=201)
    call(
        member_client, "post", "/leads", {"id": "old", "metadata": {"industry": "SaaS"}}, status=201
    )
    call(member_client, "post", "/leads/merge", {"targetLeadId": "ann", "sourceLeadIds": ["old"]})
    # The target took the industry it lacked: 15 + 5 (no country).
    assert profile(member_client, "ann")["profile_score"] == 20
    assert list(LeadProfileScore.objects.unscoped().values_list("lead__lead_id", "score")) == [
        ("ann", 20)
    ]


# --- Accounts (ABM) -------------------------------------------------------------------------

ACCOUNT_ROUTES = [
    ("get", "/accounts/rulesets"),
    ("post", "/accounts/rulesets"),
    ("put", "/accounts/rulesets/ars_1"),
    ("delete", "/accounts/rulesets/ars_1"),
    ("get", "/accounts/rulesets/ars_1/rules"),
    ("post", "/accounts/rulesets/ars_1/rules"),
    ("put", "/accounts/rulesets/ars_1/rules/arl_1"),
    ("delete", "/accounts/rulesets/ars_1/rules/arl_1"),
    ("get", "/accounts/mappings"),
    ("post", "/accounts/mappings"),
    ("put", "/accounts/mappings/am_1"),
    ("delete", "/accounts/mappings/am_1"),
    ("get", "/accounts/properties"),
]


@pytest.mark.parametrize(("method", "path"), ACCOUNT_ROUTES)
def test_account_routes_answer_403_without_abm(member_client, method, path):
    body = call(member_client, method, path, {"name": "x"}, status=403)
    assert "abm_enabled" in body["error"]


@pytest.mark.usefixtures("abm")
def test_account_mappings_and_account_score(client, member_client):
    ruleset = call(member_client, "post", "/accounts/rulesets", {"name": "Tier"}, status=201)
    assert ruleset["id"].startswith("ars_")
    rules = f"/accounts/rulesets/{ruleset['id']}/rules"
    rule = call(
        member_client, "post", rules,
        {"account_property": "employees", "condition": "greater_than", "comparison_value": 100,
         "weight": 30},
        status=201,
    )  # fmt: skip
    assert (rule["account_property"], rule["comparison_value"]) == ("employees", "100")
    call(member_client, "post", rules,
         {"account_property": "domain", "condition": "ends_with", "comparison_value": ".io",
          "weight": 20}, status=201)  # fmt: skip
    mapping = call(
        member_client, "post", "/accounts/mappings",
        {"source_field": "company_size", "account_property": "employees"}, status=201,
    )  # fmt: skip
    assert mapping["id"].startswith("am_")
    call(member_client, "post", "/accounts/mappings",
         {"source_field": "domain", "account_property": "domain", "update_behavior": "set_once"},
         status=201)  # fmt: skip
    call(member_client, "post", "/leads", {"id": "ann", "account_id": "acme"}, status=201)
    call(member_client, "post", "/leads", {"id": "bob", "account_id": "acme"}, status=201)
    account = call(member_client, "get", "/leads/ann/account")["account"]
    assert (account["account_score"], account["account_level"]) == (0, "Cold")

    ingest(client, "ann", "demo", {"company_size": "80", "domain": "acme.io"}, 1)
    ingest(client, "bob", "demo", {"company_size": "450", "domain": "acme.com"}, 2)
    process_pending_events()

    account = call(member_client, "get", "/leads/ann/account")["account"]
    # Both leads' events, in time order: size 450 (bob, latest), domain acme.io (set once).
    assert account["metadata"] == {"employees": "450", "domain": "acme.io"}
    assert (account["account_score"], account["account_level"]) == (50, "Hot")
    assert call(member_client, "get", "/accounts/properties") == ["domain", "employees"]
    # Account mappings leave the leads' metadata alone.
    assert profile(member_client, "ann")["metadata"] == {}

    call(member_client, "put", f"{rules}/{rule['id']}", {"comparison_value": "500"})
    assert call(member_client, "get", "/leads/bob/account")["account"]["account_score"] == 20


# --- Tenancy --------------------------------------------------------------------------------


def test_another_ous_objects_answer_404_and_are_never_listed(ou, member_client):
    other_ou = make_credential().credential.unit
    other = member_client_for(other_ou)
    theirs = call(other, "post", "/profile/rulesets", {"name": "Theirs"}, status=201)
    their_rule = call(other, "post", f"/profile/rulesets/{theirs['id']}/rules",
                      ICP_RULES[3], status=201)  # fmt: skip
    their_mapping = call(other, "post", "/profile/mappings",
                         {"source_field": "a", "profile_property": "b"}, status=201)  # fmt: skip
    call(other, "post", "/leads", {"id": "theirs", "metadata": {"secret_key": 1}}, status=201)

    mine = call(member_client, "post", "/profile/rulesets", {"name": "Mine"}, status=201)
    assert mine["is_primary"]  # their ruleset does not count in this OU
    for method, path, body in [
        ("get", f"/profile/rulesets/{theirs['id']}/rules", None),
        ("post", f"/profile/rulesets/{theirs['id']}/rules", ICP_RULES[3]),
        ("put", f"/profile/rulesets/{theirs['id']}", {"name": "taken"}),
        ("put", f"/profile/rulesets/{theirs['id']}/rules/{their_rule['id']}", {"weight": 1}),
        ("put", f"/profile/rulesets/{mine['id']}/rules/{their_rule['id']}", {"weight": 1}),
        ("delete", f"/profile/mappings/{their_mapping['id']}", None),
        ("get", "/leads/theirs/profile", None),
    ]:
        call(member_client, method, path, body, status=404)
    assert [r["name"] for r in call(member_client, "get", "/profile/rulesets")] == ["Mine"]
    assert call(member_client, "get", "/profile/mappings") == []
    assert call(member_client, "get", "/profile/properties") == []
    result = call(member_client, "post", "/admin/apply-profile-mappings")
    assert result["leads_processed"] == 0
    assert (
        LeadProfileScore.objects.unscoped().get().lead.lead_id == "theirs"
    )  # their score untouched
