"""Segments and their rules through the API: CRUD, validation in the error shape, the ABM
gate, preview, counts, member pages and exports, and recompute on rule changes."""

import pytest

from leadvibe.jobs import jobs_sweep
from scoring.services.leads import lead_create

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1"


def segment(client, **body):
    response = client.post(f"{API}/segments", {"name": "Hot", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def rule(client, segment_id, status=201, **body):
    response = client.post(f"{API}/segments/{segment_id}/rules", body, format="json")
    assert response.status_code == status, response.content
    return response.json()


def members(client, segment_id):
    response = client.get(f"{API}/segments/{segment_id}/leads")
    assert response.status_code == 200, response.content
    return [row["lead_id"] for row in response.json()]


def test_a_segment_is_created_listed_with_its_count_updated_and_deleted(basic_client):
    created = segment(basic_client, description="d")
    assert created["segment_id"].startswith("sg_")
    assert (created["name"], created["active"], created["lead_count"]) == ("Hot", True, 0)
    listed = basic_client.get(f"{API}/segments").json()
    assert [s["segment_id"] for s in listed] == [created["segment_id"]]
    updated = basic_client.put(
        f"{API}/segments/{created['segment_id']}", {"name": "Warm"}, format="json"
    ).json()
    assert (updated["name"], updated["description"]) == ("Warm", "d")
    assert basic_client.delete(f"{API}/segments/{created['segment_id']}").status_code == 204
    assert basic_client.get(f"{API}/segments/{created['segment_id']}/count").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule_type": "lead_colour", "field_name": "x", "operator": "equals"}, "rule_type"),
        ({"rule_type": "lead_metadata", "field_name": "x", "operator": "like"}, "operator"),
        ({"rule_type": "engagement_level", "operator": "contains", "value": "Hot"}, "operator"),
        ({"rule_type": "engagement_level", "operator": "equals", "value": "Lava"}, "value"),
        (
            {
                "rule_type": "lead_metadata",
                "field_name": "n",
                "operator": "greater_than",
                "value": "many",
            },
            "value",
        ),
        ({"rule_type": "lead_metadata", "field_name": "", "operator": "equals"}, "field_name"),
        (
            {"rule_type": "lead_metadata", "field_name": "x", "operator": "equals", "value": 5},
            "value",
        ),
    ],
)
def test_a_wrong_rule_is_a_400_naming_the_field(basic_client, body, field):
    segment_id = segment(basic_client)["segment_id"]
    error = rule(basic_client, segment_id, status=400, **body)
    assert error["status"] == 400
    assert list(error["details"]) == [field]


def test_one_group_cannot_mix_and_with_or(basic_client):
    segment_id = segment(basic_client)["segment_id"]
    base = {"rule_type": "lead_metadata", "field_name": "x", "operator": "is_not_empty"}
    rule(basic_client, segment_id, logic_group=1, logic_op="OR", **base)
    error = rule(basic_client, segment_id, status=400, logic_group=1, logic_op="AND", **base)
    assert list(error["details"]) == ["logic_op"]
    rule(basic_client, segment_id, logic_group=2, logic_op="AND", **base)


def test_account_rules_need_abm(basic_client, ou):
    segment_id = segment(basic_client)["segment_id"]
    body = {"rule_type": "account_metadata", "field_name": "tier", "operator": "equals"}
    assert rule(basic_client, segment_id, status=403, **body)["status"] == 403
    ou.org.abm_enabled = True
    ou.org.save(update_fields=["abm_enabled"])
    rule(basic_client, segment_id, **body, value="gold")


def test_rule_changes_recompute_the_membership_and_reads_follow(basic_client, ou):
    for n, industry in enumerate(["fintech", "retail", "FinTech"]):
        lead_create(ou=ou, lead_id=f"l{n}", metadata={"industry": industry})
    segment_id = segment(basic_client)["segment_id"]
    created = rule(
        basic_client, segment_id, rule_type="lead_metadata", field_name="industry",
        operator="equals", value="fintech",
    )  # fmt: skip
    assert created["segment_id"] == segment_id
    job = basic_client.get(f"{API}/segments/{segment_id}/recompute").json()
    assert job["status"] == "pending"
    jobs_sweep()

    job = basic_client.get(f"{API}/segments/{segment_id}/recompute").json()
    assert (job["status"], job["entered"], job["cause"]) == ("completed", 2, "rules_changed")
    count = basic_client.get(f"{API}/segments/{segment_id}/count").json()
    assert count == {"count": 2, "recomputing": False}
    assert sorted(members(basic_client, segment_id)) == ["l0", "l2"]
    assert basic_client.get(f"{API}/segments").json()[0]["lead_count"] == 2
    export = basic_client.get(f"{API}/segments/{segment_id}/leads/export")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0] == "lead_id,score,engagement_level,profile_level,entered_at"
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["l0", "l2"]
    lead_segments = basic_client.get(f"{API}/leads/l0/segments").json()
    assert [s["segment_id"] for s in lead_segments] == [segment_id]
    events = basic_client.get(f"{API}/segments/{segment_id}/events").json()
    assert sorted((e["lead_id"], e["type"], e["cause"]) for e in events) == [
        ("l0", "segment_entered", "rules_changed"),
        ("l2", "segment_entered", "rules_changed"),
    ]

    # Deactivated: no members, no events; activated again: back, cause `activated`.
    basic_client.put(f"{API}/segments/{segment_id}", {"active": False}, format="json")
    assert basic_client.get(f"{API}/segments/{segment_id}/count").json()["count"] == 0
    basic_client.put(f"{API}/segments/{segment_id}", {"active": True}, format="json")
    jobs_sweep()
    assert sorted(members(basic_client, segment_id)) == ["l0", "l2"]
    entered = basic_client.get(
        f"{API}/segments/{segment_id}/events", {"type": "segment_entered"}
    ).json()
    assert [e["cause"] for e in entered][:2] == ["activated", "activated"]
    assert len(basic_client.get(f"{API}/segments/{segment_id}/events").json()) == 4
    future = {"start": "2999-01-01T00:00:00Z"}
    assert basic_client.get(f"{API}/segments/{segment_id}/events", future).json() == []
    too_many = basic_client.get(f"{API}/segments/{segment_id}/leads", {"limit": 501})
    assert too_many.status_code == 400
    assert list(too_many.json()["details"]) == ["limit"]


def test_preview_counts_without_saving(basic_client, ou):
    for n in range(3):
        lead_create(ou=ou, lead_id=f"l{n}", metadata={"employees": n * 100})
    body = {
        "rules": [
            {"rule_type": "lead_metadata", "field_name": "employees",
             "operator": "greater_than_or_equal", "value": "100"},
        ]
    }  # fmt: skip
    response = basic_client.post(f"{API}/segments/preview", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2
    assert sorted(lead["lead_id"] for lead in response.json()["sample"]) == ["l1", "l2"]
    assert basic_client.get(f"{API}/segments").json() == []
    bad = {"rules": [{"rule_type": "lead_metadata", "field_name": "x", "operator": "nope"}]}
    assert basic_client.post(f"{API}/segments/preview", bad, format="json").status_code == 400


def scored_leads(ou, scores, *, metadata):
    """Leads by id with these primary scores (None: no score row)."""
    from scoring.models import LeadScore, Ruleset

    primary = Ruleset.objects.create(org_id=ou.org_id, unit=ou, name="main", is_primary=True)
    for lead_id, score in scores.items():
        lead = lead_create(ou=ou, lead_id=lead_id, metadata=metadata(lead_id))
        if score is not None:
            LeadScore.objects.create(lead=lead, ruleset=primary, unit=ou, score=score)


def pages_of(client, segment_id, count):
    """The segment's member pages 1..count, two members a page."""
    return [
        client.get(f"{API}/segments/{segment_id}/leads", {"page": n, "limit": 2}).json()
        for n in range(1, count + 1)
    ]


def test_member_pages_run_by_score_then_key_with_unscored_as_zero(basic_client, ou):
    scores = {"l0": 5, "l1": None, "l2": -3, "l3": 5, "l4": 0, "l5": 9, "l6": -1}
    scored_leads(ou, scores, metadata=lambda lead_id: {"plan": "pro"})
    segment_id = segment(basic_client)["segment_id"]
    rule(basic_client, segment_id, rule_type="lead_metadata", field_name="plan",
         operator="equals", value="pro")  # fmt: skip
    jobs_sweep()

    pages = pages_of(basic_client, segment_id, 5)
    assert [[row["lead_id"] for row in page] for page in pages] == [
        ["l5", "l0"], ["l3", "l1"], ["l4", "l6"], ["l2"], [],
    ]  # fmt: skip
    assert [row["score"] for page in pages for row in page] == [9, 5, 5, 0, 0, -1, -3]
    export = basic_client.get(f"{API}/segments/{segment_id}/leads/export")
    lines = b"".join(export.streaming_content).decode().splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == ["l5", "l0", "l3", "l1", "l4", "l6", "l2"]

    # The count follows entries and exits as they happen.
    count = f"{API}/segments/{segment_id}/count"
    assert basic_client.get(count).json()["count"] == 7
    patched = basic_client.patch(f"{API}/leads/l5/metadata", {"plan": "free"}, format="json")
    assert patched.status_code == 200, patched.content
    assert basic_client.get(count).json()["count"] == 6
    assert basic_client.get(f"{API}/segments").json()[0]["lead_count"] == 6
    basic_client.patch(f"{API}/leads/l5/metadata", {"plan": "pro"}, format="json")
    assert basic_client.get(count).json()["count"] == 7


def test_member_pages_of_a_score_range_list_every_member_by_score(basic_client, ou):
    scores = {"l0": 5, "l1": None, "l2": -3, "l3": 5, "l4": 0, "l5": 9, "l6": -1, "l7": 6}
    scored_leads(ou, scores, metadata=lambda lead_id: {})
    segment_id = segment(basic_client)["segment_id"]
    rule(basic_client, segment_id, rule_type="engagement_score",
         operator="less_than", value="5.5")  # fmt: skip
    rule(basic_client, segment_id, rule_type="engagement_score",
         operator="greater_than_or_equal", value="-1")  # fmt: skip
    jobs_sweep()

    assert [[row["lead_id"] for row in page] for page in pages_of(basic_client, segment_id, 4)] == [
        ["l0", "l3"], ["l1", "l4"], ["l6"], [],
    ]  # fmt: skip


def test_a_preview_samples_the_top_scored_matches(basic_client, ou):
    scores = {"unscored": None, **{f"l{n}": n for n in range(50)}}
    pro = {f"l{n}" for n in range(1, 50, 2)} | {"unscored"}
    scored_leads(ou, scores, metadata=lambda lead_id: {"plan": "pro" if lead_id in pro else "free"})
    plan = [{"rule_type": "lead_metadata", "field_name": "plan", "operator": "equals",
             "value": "PRO"}]  # fmt: skip
    warm = [{"rule_type": "engagement_level", "operator": "equals", "value": "Warm"}]

    previews = [
        basic_client.post(f"{API}/segments/preview", {"rules": rules}, format="json").json()
        for rules in (plan, warm)
    ]
    assert [p["count"] for p in previews] == [26, 25]
    assert [lead["lead_id"] for lead in previews[0]["sample"]] == [
        f"l{n}" for n in range(49, 9, -2)
    ]
    assert [lead["lead_id"] for lead in previews[1]["sample"]] == [
        f"l{n}" for n in range(49, 29, -1)
    ]
