"""POST /events and /events/batch as an API client meets them."""

import datetime
import json

import pytest
from django.utils import timezone

from scoring.models import EngagementEvent, Lead, LeadAlias
from tests.factories import make_credential

pytestmark = pytest.mark.django_db


def post_event(client, body, **headers):
    return client.post("/api/v1/events", body, format="json", **headers)


def aliases(*kinds_and_values: tuple[str, str]) -> list[dict]:
    return [{"alias_kind": kind, "raw_value": value} for kind, value in kinds_and_values]


def test_aliases_create_a_lead_then_reuse_it(client, ou):
    first = post_event(
        client,
        {
            "event_type": "page_view",
            "aliases": [{"alias_kind": "email", "raw_value": " Ann@Example.COM "}],
            "metadata": {"channel": "website", "path": "/pricing"},
        },
    )
    assert first.status_code == 202
    body = first.json()
    assert body["message"] == "event ingested"
    assert body["event_id"].startswith("ev_")
    assert body["metadata"] == {"channel": "website", "path": "/pricing"}

    again = post_event(
        client,
        {
            "event_type": "email_open",
            "aliases": aliases(("email", "ann@example.com"), ("phone", "+1 (555) 010-2000")),
        },
    )
    assert again.json()["lead_id"] == body["lead_id"]
    lead = Lead.objects.unscoped().get(unit=ou, lead_id=body["lead_id"])
    assert sorted(lead.aliases.values_list("kind", "normalized_value")) == [
        ("email", "ann@example.com"),
        ("phone", "+15550102000"),
    ]
    events = EngagementEvent.objects.unscoped().filter(lead=lead).order_by("seq")
    assert [(e.event_type, e.channel, e.status) for e in events] == [
        ("page_view", "web", "pending"),
        ("email_open", "email", "pending"),
    ]


def test_external_id_wins_and_other_leads_aliases_are_reported(client):
    a = post_event(
        client, {"event_type": "x", "aliases": [{"alias_kind": "email", "raw_value": "a@x.test"}]}
    ).json()["lead_id"]
    b = post_event(
        client,
        {"event_type": "x", "aliases": [{"alias_kind": "external_id", "raw_value": "crm-7"}]},
    ).json()["lead_id"]
    mixed = post_event(
        client,
        {
            "event_type": "x",
            "aliases": aliases(("email", "a@x.test"), ("external_id", "crm-7"), ("cookie", "c-1")),
        },
    ).json()
    assert mixed["lead_id"] == b
    assert mixed["alias_conflicts"] == [{"alias_kind": "email", "value": "a@x.test", "lead_id": a}]
    assert LeadAlias.objects.unscoped().get(normalized_value="c-1").lead.lead_id == b
    assert LeadAlias.objects.unscoped().get(normalized_value="a@x.test").lead.lead_id == a


def test_deprecated_alias_fields_are_accepted(client):
    response = post_event(client, {"event_type": "x", "alias_kind": "email", "alias": "d@x.test"})
    assert response.status_code == 202
    assert "alias" not in response.json()
    assert LeadAlias.objects.unscoped().get(normalized_value="d@x.test")


def test_lead_id_must_exist_and_own_its_aliases(client, ou):
    assert post_event(client, {"event_type": "x", "lead_id": "nobody"}).status_code == 404
    Lead.objects.create(org_id=ou.org_id, unit=ou, lead_id="L1")
    other = post_event(
        client, {"event_type": "x", "aliases": [{"alias_kind": "email", "raw_value": "o@x.test"}]}
    ).json()["lead_id"]
    assert other != "L1"
    conflict = post_event(
        client,
        {
            "event_type": "x",
            "lead_id": "L1",
            "aliases": [{"alias_kind": "email", "raw_value": "o@x.test"}],
        },
    )
    assert conflict.status_code == 409
    assert EngagementEvent.objects.unscoped().filter(lead__lead_id="L1").count() == 0
    ok = post_event(
        client,
        {
            "event_type": "x",
            "lead_id": "L1",
            "aliases": [{"alias_kind": "cookie", "raw_value": "k"}],
        },
    )
    assert ok.json()["lead_id"] == "L1"


def test_a_lead_of_another_ou_is_not_found(client):
    other = make_credential().credential.unit
    Lead.objects.create(org_id=other.org_id, unit=other, lead_id="theirs")
    assert post_event(client, {"event_type": "x", "lead_id": "theirs"}).status_code == 404


def test_metadata_of_100_kb_is_accepted_and_one_byte_more_is_413(client):
    def metadata_of(size):
        skeleton = len(json.dumps({"p": ""}, separators=(",", ":")))
        return {"p": "x" * (size - skeleton)}

    ok = post_event(
        client,
        {"event_type": "x", "lead_id": None}
        | {
            "aliases": [{"alias_kind": "cookie", "raw_value": "big"}],
            "metadata": metadata_of(100 * 1024),
        },
    )
    assert ok.status_code == 202, ok.content
    too_big = post_event(
        client,
        {
            "event_type": "x",
            "aliases": [{"alias_kind": "cookie", "raw_value": "big"}],
            "metadata": metadata_of(100 * 1024 + 1),
        },
    )
    assert too_big.status_code == 413
    assert too_big.json()["status"] == 413
    assert EngagementEvent.objects.unscoped().count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_type": ""}, "event_type"),
        ({"event_type": "x" * 101}, "event_type"),
        ({"event_type": "bad\ntype"}, "event_type"),
        ({"event_type": "x", "timestamp": "2025-01-01T00:00:00"}, "timestamp"),
        ({"event_type": "x", "metadata": [1, 2]}, "metadata"),
        ({"event_type": "x", "aliases": [{"alias_kind": "fax", "raw_value": "1"}]}, "aliases"),
        ({"event_type": "x", "alias_kind": "email"}, "alias"),
        ({}, "event_type"),
    ],
)
def test_bad_events_are_400_with_the_field(client, body, field):
    body.setdefault("aliases", [{"alias_kind": "cookie", "raw_value": "c"}])
    response = post_event(client, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
    assert EngagementEvent.objects.unscoped().count() == 0


def test_no_lead_identity_is_400(client):
    response = post_event(client, {"event_type": "x"})
    assert response.status_code == 400
    assert "lead_id" in response.json()["details"]


def test_timestamps_more_than_five_minutes_ahead_are_refused(client):
    soon = timezone.now() + datetime.timedelta(minutes=4)
    late = timezone.now() + datetime.timedelta(minutes=6)
    alias = [{"alias_kind": "cookie", "raw_value": "t"}]
    assert (
        post_event(
            client, {"event_type": "x", "aliases": alias, "timestamp": soon.isoformat()}
        ).status_code
        == 202
    )
    assert (
        post_event(
            client, {"event_type": "x", "aliases": alias, "timestamp": late.isoformat()}
        ).status_code
        == 400
    )


OUT_OF_RANGE_TIMESTAMPS = [
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "3000-01-01T00:00:00+00:00",
]


@pytest.mark.parametrize("timestamp", OUT_OF_RANGE_TIMESTAMPS)
def test_timestamps_out_of_range_are_400_naming_timestamp_and_its_bounds(client, timestamp):
    alias = [{"alias_kind": "cookie", "raw_value": "t"}]
    event = {"event_type": "x", "aliases": alias, "timestamp": timestamp}

    single = post_event(client, event)
    assert single.status_code == 400, single.content
    assert single.json()["status"] == 400
    [message] = single.json()["details"]["timestamp"]
    assert "1970-01-01T00:00:00Z" in message

    batch = client.post("/api/v1/events/batch", {"events": [event, event]}, format="json")
    assert batch.status_code == 400, batch.content
    for item in batch.json()["results"]:
        assert item["status"] == 400
        assert "1970-01-01T00:00:00Z" in item["details"]["timestamp"][0]
    assert EngagementEvent.objects.unscoped().count() == 0


def test_the_first_second_of_1970_is_accepted(client):
    alias = [{"alias_kind": "cookie", "raw_value": "t"}]
    response = post_event(
        client, {"event_type": "x", "aliases": alias, "timestamp": "1970-01-01T01:00:00+01:00"}
    )
    assert response.status_code == 202, response.content


def test_an_idempotent_repeat_returns_the_first_answer_and_stores_nothing(client):
    body = {"event_type": "signup", "aliases": [{"alias_kind": "email", "raw_value": "i@x.test"}]}
    first = post_event(client, body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post_event(client, body, HTTP_IDEMPOTENCY_KEY="k-1")
    in_body = post_event(client, {**body, "idempotency_key": "k-1"})
    assert first.status_code == 202
    assert (again.status_code, in_body.status_code) == (200, 200)
    assert first.json() == again.json() == in_body.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert EngagementEvent.objects.unscoped().count() == 1


def test_the_same_body_in_another_spelling_is_a_repeat(client):
    timed = {
        "event_type": "signup",
        "aliases": [{"alias_kind": "email", "raw_value": "i@x.test"}],
        "timestamp": "2025-08-15T12:00:00Z",
        "metadata": {"a": 1, "b": {"c": [1, 2]}},
    }
    first = post_event(client, timed, HTTP_IDEMPOTENCY_KEY="k-2")
    respelled = {
        **timed,
        "timestamp": "2025-08-15T14:00:00+02:00",
        "metadata": {"b": {"c": [1, 2]}, "a": 1},
    }
    again = post_event(client, respelled, HTTP_IDEMPOTENCY_KEY="k-2")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["event_id"] == first.json()["event_id"]


REUSED_KEY_CHANGES = [
    {"event_type": "other"},
    {"metadata": {"plan": "pro"}},
    {"timestamp": "2025-08-15T12:00:01Z"},
    {"aliases": [{"alias_kind": "email", "raw_value": "j@x.test"}]},
]


@pytest.mark.parametrize("change", REUSED_KEY_CHANGES)
def test_a_key_reused_with_another_body_is_409_naming_the_first_event(client, change):
    body = {
        "event_type": "signup",
        "aliases": [{"alias_kind": "email", "raw_value": "i@x.test"}],
        "timestamp": "2025-08-15T12:00:00Z",
        "metadata": {"plan": "free"},
    }
    first = post_event(client, body, HTTP_IDEMPOTENCY_KEY="k-1").json()["event_id"]

    single = post_event(client, {**body, **change}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert single.status_code == 409, single.content
    assert single.json()["status"] == 409
    assert single.json()["details"]["event_id"] == [first]
    assert first in single.json()["error"]
    assert "idempotency_key" in single.json()["details"]

    batch = client.post(
        "/api/v1/events/batch",
        {
            "events": [
                {**body, **change, "idempotency_key": "k-1"},
                {**body, "idempotency_key": "k-1"},
            ]
        },
        format="json",
    )
    assert batch.status_code == 202, batch.content
    reused, repeated = batch.json()["results"]
    assert (reused["status"], reused["details"]["event_id"]) == (409, [first])
    assert (repeated["status"], repeated["event_id"]) == (200, first)
    assert EngagementEvent.objects.unscoped().count() == 1


def test_a_key_stored_before_body_hashes_were_kept_still_replays(client):
    body = {"event_type": "signup", "aliases": [{"alias_kind": "email", "raw_value": "i@x.test"}]}
    first = post_event(client, body, HTTP_IDEMPOTENCY_KEY="old")
    EngagementEvent.objects.unscoped().update(
        idempotency_hash=None
    )  # as migration 0009 left old rows
    again = post_event(client, {**body, "event_type": "other"}, HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 200
    assert again.json()["event_id"] == first.json()["event_id"]


def test_batch_stores_valid_items_and_reports_each_invalid_one(client):
    alias = [{"alias_kind": "cookie", "raw_value": "b"}]
    response = client.post(
        "/api/v1/events/batch",
        {
            "events": [
                {"event_type": "a", "aliases": alias},
                {"event_type": "", "aliases": alias},
                {"event_type": "c", "lead_id": "missing"},
                "not an object",
                {"event_type": "e", "aliases": alias, "metadata": {"n": 5}},
            ]
        },
        format="json",
    )
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["failed"]) == (2, 3)
    assert [r["status"] for r in body["results"]] == [202, 400, 404, 400, 202]
    assert "event_type" in body["results"][1]["details"]
    assert sorted(EngagementEvent.objects.unscoped().values_list("event_type", flat=True)) == [
        "a",
        "e",
    ]


def test_batch_limits(client):
    assert client.post("/api/v1/events/batch", {"events": []}, format="json").status_code == 400
    too_many = [{"event_type": "x", "lead_id": "l"}] * 1001
    response = client.post("/api/v1/events/batch", {"events": too_many}, format="json")
    assert response.status_code == 400


def test_a_batch_with_no_valid_item_is_an_error_with_its_results(client):
    response = client.post(
        "/api/v1/events/batch", {"events": ["not an object", {"lead_id": "l"}]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["error"]
    assert (body["accepted"], body["failed"]) == (0, 2)
    assert [item["index"] for item in body["results"]] == [0, 1]
    assert EngagementEvent.objects.unscoped().count() == 0


def test_viewers_cannot_ingest(viewer_client):
    response = post_event(viewer_client, {"event_type": "x", "lead_id": "l"})
    assert response.status_code == 403


def test_with_redis_down_the_event_is_still_accepted_and_pending(client, unreachable_redis):
    response = post_event(
        client, {"event_type": "x", "aliases": [{"alias_kind": "cookie", "raw_value": "r"}]}
    )
    assert response.status_code == 202
    event = EngagementEvent.objects.unscoped().get()
    assert event.status == "pending"


def test_usage_counts_ingested_events(client, admin_client):
    for n in range(3):
        post_event(
            client, {"event_type": "x", "aliases": [{"alias_kind": "cookie", "raw_value": f"u{n}"}]}
        )
    body = admin_client.get("/api/v1/usage").json()
    assert body["org"]["events_ingested"] == 3
    assert body["ou"]["events_ingested"] == 3


def test_events_for_a_merged_lead_go_to_its_target(client):
    for lead_id in ("target", "source"):
        assert client.post("/api/v1/leads", {"id": lead_id}, format="json").status_code == 201
    merged = client.post(
        "/api/v1/leads/merge",
        {"targetLeadId": "target", "sourceLeadIds": ["source"]},
        format="json",
    )
    assert merged.status_code == 200

    answer = post_event(client, {"event_type": "late", "lead_id": "source"})
    assert answer.status_code == 202
    assert answer.json()["lead_id"] == "target"
    assert EngagementEvent.objects.unscoped().get(event_type="late").lead.lead_id == "target"


def test_a_lead_being_deleted_takes_no_more_events(client):
    assert client.post("/api/v1/leads", {"id": "doomed"}, format="json").status_code == 201
    assert client.delete("/api/v1/leads/doomed").status_code == 202

    answer = post_event(client, {"event_type": "x", "lead_id": "doomed"})
    assert answer.status_code == 404
    assert not EngagementEvent.objects.unscoped().exists()


def test_a_batch_resolves_its_items_in_order_as_single_events_would(client):
    ann = [{"alias_kind": "email", "raw_value": "ann@x.test"}]
    phone = [{"alias_kind": "phone", "raw_value": "+1 555 0100"}]
    response = client.post(
        "/api/v1/events/batch",
        {
            "events": [
                {"event_type": "a", "aliases": ann},
                {"event_type": "b", "aliases": ann + phone, "idempotency_key": "k"},
                {"event_type": "c", "aliases": phone},
                {"event_type": "b", "aliases": ann + phone, "idempotency_key": "k"},
                {"event_type": "d", "aliases": ann, "idempotency_key": "k"},
            ]
        },
        format="json",
    )
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == [202, 202, 202, 200, 409]
    assert len({r["lead_id"] for r in results[:4]}) == 1
    # The repeat of key k answers what its first use answered; another body is refused.
    assert results[3]["event_id"] == results[1]["event_id"]
    assert results[4]["details"]["event_id"] == [results[1]["event_id"]]
    assert sorted(EngagementEvent.objects.unscoped().values_list("event_type", flat=True)) == [
        "a",
        "b",
        "c",
    ]
    assert Lead.objects.unscoped().count() == 1
    assert LeadAlias.objects.unscoped().count() == 2

    again = client.post(
        "/api/v1/events/batch",
        {"events": [{"event_type": "b", "aliases": phone + ann, "idempotency_key": "k"}]},
        format="json",
    )
    assert again.json()["results"][0]["status"] == 200
    assert again.json()["results"][0]["event_id"] == results[1]["event_id"]
    assert EngagementEvent.objects.unscoped().count() == 3
