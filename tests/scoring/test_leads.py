"""The lead routes as an API client meets them: list, create, search, read, replace, merge
patch, aliases, profile, account, asynchronous deletion and merge."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadvibe.celery import app as celery_app
from leadvibe.tasks import jobs_sweep_task
from scoring.extension_points import LEAD_METADATA_CHANGED, LEADS_DELETING, LEADS_MERGED
from scoring.models import EngagementEvent, Lead, LeadAlias, LeadDeletion, Order
from scoring.services.orders import order_create
from scoring.services.pipeline import process_pending_events

pytestmark = pytest.mark.django_db

LEAD_FIELDS = {
    "id",
    "org_id",
    "unit_id",
    "account_id",
    "owner_id",
    "owner_name",
    "created_at",
    "updated_at",
    "merged_into",
    "metadata",
}


def create_lead(client, lead_id, **fields):
    response = client.post("/api/v1/leads", {"id": lead_id, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def post_event(client, lead_id=None, event_type="page_view", aliases=(), **fields):
    body = {"event_type": event_type, **fields}
    if lead_id is not None:
        body["lead_id"] = lead_id
    if aliases:
        body["aliases"] = [{"alias_kind": kind, "raw_value": value} for kind, value in aliases]
    response = client.post("/api/v1/events", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def ago(**delta) -> str:
    return (timezone.now() - datetime.timedelta(**delta)).isoformat()


def listed(client, **params) -> list[str]:
    """Lead ids listed, newest first unless `sort` says otherwise."""
    response = client.get("/api/v1/leads", {"sort": "-created_at", **params})
    assert response.status_code == 200, response.content
    return [lead["id"] for lead in response.json()["leads"]]


@pytest.fixture
def eager_celery():
    """Tasks run in the caller's process when enqueued, as a worker would run them."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def hooks(monkeypatch):
    """What the lead extension points published, recorded as (name, lead ids, ...)."""
    calls = []

    def lead_ids(pks):
        by_pk = dict(Lead.objects.unscoped().filter(id__in=pks).values_list("id", "lead_id"))
        return [by_pk[pk] for pk in pks]

    def metadata_changed(changed):
        name = {"updated": "metadata"}.get(changed.cause, changed.cause)
        for lead in Lead.objects.unscoped().filter(id__in=changed.lead_pks):
            calls.append((name, lead.lead_id, lead.metadata))

    def merged(merge):
        target = Lead.objects.unscoped().get(id=merge.target_pk)
        if merge.target_metadata_changed:
            calls.append(("metadata", target.lead_id, target.metadata))
        calls.append(("merged", target.lead_id, lead_ids(merge.source_pks)))

    for point, handler in (
        (LEAD_METADATA_CHANGED, metadata_changed),
        (LEADS_MERGED, merged),
        (LEADS_DELETING, lambda deleting: calls.append(("deleting", lead_ids(deleting.lead_pks)))),
    ):
        monkeypatch.setattr(point, "_handlers", {"segments": handler})
    return calls


# --- Create and read ------------------------------------------------------------------------


def test_create_answers_the_lead_and_get_shows_it_with_its_account(client, ou):
    body = create_lead(client, "crm-1", metadata={"plan": "pro"}, account_id="acme")
    assert set(body) == LEAD_FIELDS
    assert body["id"] == "crm-1"
    assert (body["org_id"], body["unit_id"]) == (ou.org_id, ou.id)
    assert body["account_id"] == "acme"
    assert body["metadata"] == {"plan": "pro"}
    assert body["merged_into"] is None
    assert body["owner_id"] is None
    assert body["created_at"].endswith("Z")

    detail = client.get("/api/v1/leads/crm-1").json()
    assert detail["lead"] == body
    assert detail["account"] == {"account_id": "acme", "name": "", "metadata": {}}


def test_create_refuses_a_taken_id_and_bad_input(client):
    create_lead(client, "crm-1")
    taken = client.post("/api/v1/leads", {"id": "crm-1"}, format="json")
    assert taken.status_code == 409
    assert taken.json()["status"] == 409
    for body in ({}, {"id": "a/b"}, {"id": "search"}, {"id": "x", "metadata": [1]}):
        response = client.post("/api/v1/leads", body, format="json")
        assert response.status_code == 400, body
        assert "details" in response.json()


def test_oversized_metadata_is_413(client):
    huge = {"blob": "x" * (100 * 1024)}
    created = client.post("/api/v1/leads", {"id": "l", "metadata": huge}, format="json")
    assert created.status_code == 413
    create_lead(client, "l")
    assert client.put("/api/v1/leads/l", {"metadata": huge}, format="json").status_code == 413
    assert client.patch("/api/v1/leads/l/metadata", huge, format="json").status_code == 413
    assert client.get("/api/v1/leads/l").json()["lead"]["metadata"] == {}


def test_a_lead_without_account_has_null_account(client):
    create_lead(client, "solo")
    assert client.get("/api/v1/leads/solo").json()["account"] is None
    assert client.get("/api/v1/leads/solo/account").json() == {"lead_id": "solo", "account": None}


def test_unknown_lead_is_404_on_every_lead_route(client):
    for path in ("", "/aliases", "/profile", "/account", "/deletion"):
        response = client.get(f"/api/v1/leads/nope{path}")
        assert response.status_code == 404, path
        assert response.json() == {"status": 404, "error": "Not Found"}


def test_another_ous_lead_is_404(client, other_client):
    create_lead(other_client, "theirs", metadata={"secret": 1})
    post_event(other_client, "theirs", aliases=[("email", "them@x.test")])
    for path in ("", "/aliases", "/profile", "/account"):
        assert client.get(f"/api/v1/leads/theirs{path}").status_code == 404
    assert client.put("/api/v1/leads/theirs", {"metadata": {}}, format="json").status_code == 404
    patched = client.patch("/api/v1/leads/theirs/metadata", {"a": 1}, format="json")
    assert patched.status_code == 404
    assert client.delete("/api/v1/leads/theirs").status_code == 404
    assert listed(client) == []
    assert client.get("/api/v1/leads/search", {"q": "them"}).json() == []
    assert client.get("/api/v1/leads/search", {"q": "theirs"}).json() == []
    assert Lead.objects.unscoped().get(lead_id="theirs").metadata == {"secret": 1}


def test_viewers_read_and_cannot_write(client, viewer_client):
    create_lead(client, "l1")
    assert viewer_client.get("/api/v1/leads/l1").status_code == 200
    assert viewer_client.get("/api/v1/leads").status_code == 200
    assert viewer_client.post("/api/v1/leads", {"id": "l2"}, format="json").status_code == 403
    assert viewer_client.delete("/api/v1/leads/l1").status_code == 403
    patched = viewer_client.patch("/api/v1/leads/l1/metadata", {"a": 1}, format="json")
    assert patched.status_code == 403


# --- List -----------------------------------------------------------------------------------


def test_list_envelope_newest_first_with_last_event(client):
    create_lead(client, "old", account_id="acme")
    create_lead(client, "new", metadata={"k": "v"})
    post_event(client, "old", "page_view", timestamp=ago(hours=2))
    post_event(client, "old", "form_submit", timestamp=ago(hours=1))
    post_event(client, "old", "email_open", timestamp=ago(hours=3))  # arrives late, is older
    process_pending_events()  # the last event and activity are those scored

    body = client.get("/api/v1/leads", {"sort": "-created_at"}).json()
    assert (body["total"], body["total_exact"], body["page"], body["limit"]) == (2, True, 1, 50)
    new, old = body["leads"]
    assert set(new) == {
        "id",
        "account_id",
        "metadata",
        "created_at",
        "updated_at",
        "last_event_type",
        "last_active_at",
        "score",
        "engagement_level",
        "changed_at",
    }
    assert new == {**new, "id": "new", "account_id": None, "metadata": {"k": "v"}, "score": 0}
    assert new["changed_at"] is None  # set in the sync feed (updated_since) only
    assert (new["last_event_type"], new["last_active_at"]) == (None, None)
    assert (old["id"], old["account_id"], old["last_event_type"]) == ("old", "acme", "form_submit")
    assert old["last_active_at"].endswith("Z")


def test_list_reads_a_page_in_the_same_number_of_queries_however_many_leads(client):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/leads").status_code == 200
        return len(queries)

    for n in range(2):
        create_lead(client, f"few{n}", account_id=f"acct{n}")
        post_event(client, f"few{n}")
    few = queries_for_list()
    for n in range(10):
        create_lead(client, f"many{n}", account_id=f"acct{n}")
        post_event(client, f"many{n}")
    assert queries_for_list() == few


def test_list_pages_and_validates_its_parameters(client):
    for n in range(5):
        create_lead(client, f"l{n}")
    body = client.get("/api/v1/leads", {"page": 2, "limit": 2, "sort": "-created_at"}).json()
    assert [lead["id"] for lead in body["leads"]] == ["l2", "l1"]
    assert (body["total"], body["page"], body["limit"]) == (5, 2, 2)
    # No lead has a score: each has 0.
    assert listed(client, min_score=10, max_score=20) == []
    assert listed(client, min_score=0, max_score=20) == ["l4", "l3", "l2", "l1", "l0"]
    for params in (
        {"limit": 0},
        {"limit": 501},
        {"page": 0},
        {"range": "last_year"},
        {"last_active": "1d"},
        {"min_score": "high"},
        {"max_score": "1.5"},
        {"min_score": 10**12},
        {"sort": "name"},
    ):
        response = client.get("/api/v1/leads", params)
        assert response.status_code == 400, params
        assert response.json()["details"]


def test_list_filters_by_last_event_type_and_last_activity(client):
    for lead_id in ("recent", "week_old", "month_old", "silent"):
        create_lead(client, lead_id)
    post_event(client, "recent", "email_open", timestamp=ago(days=40))
    post_event(client, "recent", "demo_request", timestamp=ago(hours=1))
    post_event(client, "week_old", "email_open", timestamp=ago(days=10))
    post_event(client, "month_old", "demo_request", timestamp=ago(days=40))
    process_pending_events()  # the filters read what scoring recorded

    assert listed(client, event_type="email_open") == ["week_old"]
    assert listed(client, event_type="demo_request") == ["month_old", "recent"]
    assert listed(client, last_active="7d") == ["recent"]
    assert listed(client, last_active="30d") == ["week_old", "recent"]
    assert listed(client, last_active="any") == ["silent", "month_old", "week_old", "recent"]
    assert listed(client, event_type="demo_request", last_active="30d") == ["recent"]


def test_list_filters_by_named_range_on_created_at(client, ou):
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    created = {
        "today": midnight + datetime.timedelta(seconds=1),
        "yesterday": midnight - datetime.timedelta(hours=1),
        "five_days": now - datetime.timedelta(days=5),
        "sixty_days": now - datetime.timedelta(days=60),
        "year": now - datetime.timedelta(days=365),
    }
    for lead_id, moment in created.items():
        create_lead(client, lead_id)
        Lead.objects.for_ou(ou).filter(lead_id=lead_id).update(created_at=moment)

    assert listed(client, range="today") == ["today"]
    assert listed(client, range="yesterday") == ["yesterday"]
    assert set(listed(client, range="last_7d")) == {"today", "yesterday", "five_days"}
    assert "sixty_days" not in listed(client, range="last_30d")
    assert "sixty_days" in listed(client, range="last_90d")
    assert len(listed(client, range="all")) == 5


# --- Search ---------------------------------------------------------------------------------


def test_search_by_id_prefix_and_alias_values(client):
    create_lead(client, "crm-100")
    create_lead(client, "crm-200")
    ann = post_event(client, aliases=[("email", "Ann.Smith@Example.com")])["lead_id"]
    bob = post_event(client, aliases=[("phone", "+1 (555) 010-2000"), ("cookie", "crm-cookie")])[
        "lead_id"
    ]

    def search(q):
        response = client.get("/api/v1/leads/search", {"q": q})
        assert response.status_code == 200, response.content
        return [(item["id"], item["matched_by"], item["matched_value"]) for item in response.json()]

    assert search("crm") == [
        ("crm-100", "id", "crm-100"),
        ("crm-200", "id", "crm-200"),
        (bob, "cookie", "crm-cookie"),
    ]
    assert search("ANN.smith") == [(ann, "email", "ann.smith@example.com")]
    assert search("+1555") == [(bob, "phone", "+15550102000")]
    assert search("1 (555) 01") == [(bob, "phone", "+15550102000")]
    assert search("CRM") == []  # ids are case-sensitive
    item = client.get("/api/v1/leads/search", {"q": "crm-1"}).json()[0]
    assert set(item) == {
        "id",
        "metadata",
        "created_at",
        "updated_at",
        "matched_by",
        "matched_value",
    }


def test_search_answers_at_most_ten_leads_and_needs_two_characters(client):
    for n in range(8):
        create_lead(client, f"ab-{n}")
    for n in range(8):
        post_event(client, aliases=[("email", f"ab{n}@x.test")])
    results = client.get("/api/v1/leads/search", {"q": "ab"}).json()
    assert len(results) == 10
    assert [r["matched_by"] for r in results] == ["id"] * 8 + ["email"] * 2
    for params in ({"q": "a"}, {"q": " a "}, {}):
        response = client.get("/api/v1/leads/search", params)
        assert response.status_code == 400
        assert "q" in response.json()["details"]


# --- Replace and merge-patch ----------------------------------------------------------------


def test_put_replaces_metadata_and_links_or_unlinks_the_account(client, hooks):
    create_lead(client, "l", metadata={"a": 1, "b": 2}, account_id="acme")
    response = client.put("/api/v1/leads/l", {"metadata": {"c": 3}}, format="json")
    assert response.status_code == 200
    assert response.json()["lead"]["metadata"] == {"c": 3}
    assert response.json()["account"]["account_id"] == "acme"  # absent: kept

    moved = client.put(
        "/api/v1/leads/l", {"metadata": {"c": 3}, "account_id": "globex"}, format="json"
    )
    assert moved.json()["account"]["account_id"] == "globex"
    assert moved.json()["lead"]["account_id"] == "globex"
    unlinked = client.put("/api/v1/leads/l", {"metadata": {}, "account_id": None}, format="json")
    assert unlinked.json()["account"] is None
    assert client.get("/api/v1/leads/l/account").json()["account"] is None
    # Published when the metadata or the account link changed (segments' account rules).
    assert hooks == [
        ("created", "l", {"a": 1, "b": 2}),
        ("metadata", "l", {"c": 3}),
        ("metadata", "l", {"c": 3}),
        ("metadata", "l", {}),
    ]

    assert client.put("/api/v1/leads/l", {"account_id": "x"}, format="json").status_code == 400
    assert client.put("/api/v1/leads/l", {"metadata": "x"}, format="json").status_code == 400


def test_patch_is_a_json_merge_patch(client, ou, hooks):
    create_lead(
        client,
        "l",
        metadata={
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged",
        },
    )
    # The example of RFC 7386, section 3.
    response = client.patch(
        "/api/v1/leads/l/metadata",
        {
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": None},
            "tags": ["example"],
        },
        format="json",
    )
    assert response.status_code == 200
    expected = {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }
    assert response.json() == {
        "id": "l",
        "org_id": ou.org_id,
        "unit_id": ou.id,
        "metadata": expected,
    }
    assert client.get("/api/v1/leads/l/profile").json() == {
        "lead_id": "l",
        "metadata": expected,
        "profile_score": None,
        "profile_level": None,
    }
    assert hooks[1:] == [("metadata", "l", expected)]

    nested = client.patch(
        "/api/v1/leads/l/metadata",
        '{"author": {"address": {"city": "Oslo"}}, "content": null, "missing": null}',
        content_type="application/merge-patch+json",
    )
    assert nested.status_code == 200
    assert nested.json()["metadata"]["author"] == {"givenName": "John", "address": {"city": "Oslo"}}
    assert "content" not in nested.json()["metadata"]

    client.patch("/api/v1/leads/l/metadata", {}, format="json")
    assert len(hooks) == 3  # an empty patch changes nothing


def test_patch_body_must_be_a_json_object(client):
    create_lead(client, "l", metadata={"a": 1})
    for body in ("[1, 2]", '"text"', "3", "null"):
        response = client.patch("/api/v1/leads/l/metadata", body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.json()["details"]
    malformed = client.patch("/api/v1/leads/l/metadata", "{", content_type="application/json")
    assert malformed.status_code == 400
    assert client.get("/api/v1/leads/l").json()["lead"]["metadata"] == {"a": 1}


def test_aliases_lists_normalized_and_raw_values(client):
    lead_id = post_event(
        client, aliases=[("email", " Ann@Example.COM "), ("phone", "+1 (555) 010-2000")]
    )["lead_id"]
    response = client.get(f"/api/v1/leads/{lead_id}/aliases")
    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    items = response.json()
    assert [(a["alias_kind"], a["value"], a["raw_value"]) for a in items] == [
        ("email", "ann@example.com", "Ann@Example.COM"),
        ("phone", "+15550102000", "+1 (555) 010-2000"),
    ]
    assert all(a["created_at"].endswith("Z") for a in items)


# --- Delete ---------------------------------------------------------------------------------


def lead_with_data(client, lead_id, email):
    create_lead(client, lead_id)
    post_event(client, lead_id, "page_view", aliases=[("email", email)])
    post_event(client, lead_id, "email_open")


def test_delete_removes_the_leads_events_aliases_and_orders(
    client, ou, eager_celery, django_capture_on_commit_callbacks
):
    lead_with_data(client, "doomed", "doomed@x.test")
    lead_with_data(client, "kept", "kept@x.test")
    order_create(ou=ou, order_id="o-1", lead_id="doomed", amount=10, currency="eur", items=[])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.delete("/api/v1/leads/doomed")
    assert response.status_code == 202
    assert response.json() == {"lead_id": "doomed", "status": "pending"}
    # Accepted, not yet run: the lead already answers 404 and is no longer listed.
    assert client.get("/api/v1/leads/doomed").status_code == 404
    assert client.get("/api/v1/leads/doomed/aliases").status_code == 404
    assert listed(client) == ["kept"]
    assert client.get("/api/v1/leads/search", {"q": "doomed"}).json() == []
    assert client.get("/api/v1/leads/doomed/deletion").json() == {
        "lead_id": "doomed",
        "status": "pending",
    }
    again = client.delete("/api/v1/leads/doomed")
    assert again.status_code == 202
    assert LeadDeletion.objects.unscoped().count() == 1

    for callback in callbacks:  # the commit: the task is enqueued, and runs eagerly
        callback()
    assert client.get("/api/v1/leads/doomed/deletion").json()["status"] == "completed"
    assert not Lead.objects.unscoped().filter(lead_id="doomed").exists()
    assert list(
        EngagementEvent.objects.unscoped().values_list("lead__lead_id", flat=True).distinct()
    ) == ["kept"]
    assert list(LeadAlias.objects.unscoped().values_list("normalized_value", flat=True)) == [
        "kept@x.test"
    ]
    assert not Order.objects.unscoped().exists()
    assert client.delete("/api/v1/leads/doomed").status_code == 404
    assert LeadDeletion.objects.unscoped().get().finished_at is not None


def test_with_redis_down_a_deletion_stays_pending_and_the_sweep_runs_it(
    client, unreachable_redis, django_capture_on_commit_callbacks
):
    lead_with_data(client, "doomed", "doomed@x.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete("/api/v1/leads/doomed")
    assert response.status_code == 202
    assert client.get("/api/v1/leads/doomed/deletion").json()["status"] == "pending"
    assert Lead.objects.unscoped().filter(lead_id="doomed").exists()

    jobs_sweep_task()
    assert client.get("/api/v1/leads/doomed/deletion").json()["status"] == "completed"
    assert not Lead.objects.unscoped().exists()
    assert not EngagementEvent.objects.unscoped().exists()
    assert not LeadAlias.objects.unscoped().exists()


def test_the_sweep_takes_over_a_deletion_whose_worker_died(client):
    lead_with_data(client, "doomed", "doomed@x.test")
    client.delete("/api/v1/leads/doomed")
    LeadDeletion.objects.unscoped().update(status=LeadDeletion.Status.RUNNING)
    assert client.get("/api/v1/leads/doomed/deletion").json()["status"] == "running"
    assert client.get("/api/v1/leads/doomed").status_code == 404

    jobs_sweep_task()
    assert client.get("/api/v1/leads/doomed/deletion").json()["status"] == "completed"
    assert not Lead.objects.unscoped().exists()


def test_a_lead_id_can_be_used_again_after_its_deletion(client):
    lead_with_data(client, "reborn", "r@x.test")
    client.delete("/api/v1/leads/reborn")
    jobs_sweep_task()
    create_lead(client, "reborn", metadata={"second": True})
    assert client.get("/api/v1/leads/reborn").json()["lead"]["metadata"] == {"second": True}
    assert client.get("/api/v1/leads/reborn/deletion").json()["status"] == "completed"


# --- Merge ----------------------------------------------------------------------------------


def merge(client, target, sources, **extra):
    return client.post(
        "/api/v1/leads/merge",
        {"targetLeadId": target, "sourceLeadIds": sources, **extra},
        format="json",
    )


def test_merge_moves_events_aliases_and_orders_to_the_target(client, ou, hooks):
    create_lead(client, "target", metadata={"name": "Ann", "plan": "pro"})
    post_event(client, "target", "page_view", aliases=[("email", "ann@x.test")])
    anon = post_event(client, event_type="page_view", aliases=[("cookie", "c-1")])["lead_id"]
    post_event(
        client, event_type="form_submit", aliases=[("cookie", "c-1"), ("email", "a2@x.test")]
    )
    create_lead(client, "crm-dup", metadata={"plan": "free", "company": "Acme"}, account_id="acme")
    post_event(client, "crm-dup", "email_open")
    order_create(ou=ou, order_id="o-1", lead_id="crm-dup", amount=5, currency="usd", items=[])

    response = merge(client, "target", [anon, "crm-dup"], truncate={"policy": "none"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["mergedSources"] == [anon, "crm-dup"]
    assert (body["movedEvents"], body["truncatedEvents"]) == (3, 0)
    assert body["rescore"] == {"status": "pending"}
    assert set(body["target"]) == LEAD_FIELDS
    # The target's values win; what it lacked comes from the sources.
    assert body["target"]["metadata"] == {"name": "Ann", "plan": "pro", "company": "Acme"}
    assert body["target"]["account_id"] == "acme"

    target = Lead.objects.unscoped().get(unit=ou, lead_id="target")
    events = EngagementEvent.objects.unscoped().order_by("seq")
    assert {e.lead_id for e in events} == {target.id}
    assert [e.original_lead.lead_id if e.original_lead else None for e in events] == [
        None,
        anon,
        anon,
        "crm-dup",
    ]
    assert sorted(target.aliases.values_list("kind", "normalized_value")) == [
        ("cookie", "c-1"),
        ("email", "a2@x.test"),
        ("email", "ann@x.test"),
    ]
    assert Order.objects.unscoped().get().lead == target
    assert [call for call in hooks if call[0] != "created"] == [
        ("metadata", "target", {"name": "Ann", "plan": "pro", "company": "Acme"}),
        ("merged", "target", [anon, "crm-dup"]),
    ]

    # Sources stay readable and say where they went; lists and search leave them out.
    source = client.get(f"/api/v1/leads/{anon}").json()["lead"]
    assert source["merged_into"] == "target"
    assert client.get(f"/api/v1/leads/{anon}/aliases").json() == []
    assert listed(client) == ["target"]
    assert [r["id"] for r in client.get("/api/v1/leads/search", {"q": "crm"}).json()] == []
    # New events with a merged lead's alias land on the target.
    assert post_event(client, aliases=[("cookie", "c-1")])["lead_id"] == "target"
    # A merged lead is read-only.
    assert client.put(f"/api/v1/leads/{anon}", {"metadata": {}}, format="json").status_code == 409
    patched = client.patch("/api/v1/leads/crm-dup/metadata", {"a": 1}, format="json")
    assert patched.status_code == 409
    assert merge(client, "crm-dup", ["target"]).status_code == 409


def test_merging_a_merge_target_repoints_its_merged_leads(client):
    for lead_id in ("a", "b", "c"):
        create_lead(client, lead_id)
    assert merge(client, "b", ["a"]).status_code == 200
    assert merge(client, "c", ["b"]).status_code == 200
    assert client.get("/api/v1/leads/a").json()["lead"]["merged_into"] == "c"
    assert client.get("/api/v1/leads/b").json()["lead"]["merged_into"] == "c"


def test_deleting_a_merge_target_deletes_the_leads_merged_into_it(client, hooks):
    lead_with_data(client, "target", "t@x.test")
    lead_with_data(client, "source", "s@x.test")
    merge(client, "target", ["source"])
    client.delete("/api/v1/leads/target")
    jobs_sweep_task()
    # LEADS_DELETING named both leads while they still existed.
    assert hooks[-1] == ("deleting", ["target", "source"])
    assert not Lead.objects.unscoped().exists()
    assert not EngagementEvent.objects.unscoped().exists()
    assert not LeadAlias.objects.unscoped().exists()


def test_merge_validates_its_input(client, other_client):
    create_lead(client, "t")
    create_lead(client, "s")
    create_lead(other_client, "foreign")

    def error(response, status):
        assert response.status_code == status, response.content
        return response.json()

    assert error(merge(client, "t", ["s", "t"]), 400)["details"]["sourceLeadIds"]
    assert error(merge(client, "t", []), 400)["details"]["sourceLeadIds"]
    assert error(merge(client, "t", [f"x{n}" for n in range(101)]), 400)["details"]
    assert error(client.post("/api/v1/leads/merge", {}, format="json"), 400)["details"]
    not_none = error(merge(client, "t", ["s"], truncate={"policy": "keep_last"}), 400)
    assert "only the truncation policy 'none'" in str(not_none["details"]).lower()
    assert error(merge(client, "t", ["s"], truncate="none"), 400)["details"]["truncate"]
    assert error(merge(client, "t", ["s"], truncate={"max_events": 5}), 400)["details"]
    assert error(merge(client, "t", ["nope"]), 404) == {"status": 404, "error": "Not Found"}
    assert error(merge(client, "t", ["foreign"]), 404) == {"status": 404, "error": "Not Found"}
    assert error(merge(client, "foreign", ["s"]), 404) == {"status": 404, "error": "Not Found"}
    assert not Lead.objects.unscoped().filter(merged_into__isnull=False).exists()
    assert merge(client, "t", ["s", "s"]).json()["mergedSources"] == ["s"]
