"""Every route of the URL conf, walked: no credentials → 401; another tenant's object → 404;
another tenant's rows never listed. Routes declare their data in tests/security/routes.py."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from scoring.fit.selectors import ACCOUNT, PROFILE
from scoring.fit.services.config import (
    fit_mapping_create,
    fit_rule_create,
    fit_ruleset_create,
)
from scoring.ingestion.services.events import EventInput, event_ingest
from scoring.ingestion.services.imports import import_job_create
from scoring.models import EngagementEvent, Level
from scoring.services.decays import decay_create
from scoring.services.filters import attribute_filter_create, inorganic_filter_create
from scoring.services.lead_changes import lead_update
from scoring.services.leads import lead_create
from scoring.services.orders import order_create
from scoring.services.pipeline import process_pending_events
from scoring.services.rulesets import rule_create, ruleset_create
from segments.services.config import segment_create, segment_rule_create
from segments.services.membership import memberships_refresh
from tests.api_clients import jwt_client_for
from tests.factories import make_credential, make_member, make_membership, make_org, make_unit
from tests.security.routes import ROUTES, Listing, ObjectOf, OwnData, Public
from tests.triggers.factories import make_delivery, make_firing
from triggers.models import Firing, Trigger
from triggers.services.slack import slack_app_set, slack_install_begin
from triggers.services.trigger_config import trigger_create

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def named_routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from named_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern), entry.callback


def methods_of(callback) -> list[str]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return ["get"]
    return [m for m in HTTP_METHODS if hasattr(view_class, m)]


ALL_ROUTES = sorted(named_routes(), key=lambda route: str(route[0]))
PROTECTED = [
    (name, method)
    for name, _, callback in ALL_ROUTES
    if not isinstance(ROUTES.get(name), Public)
    for method in methods_of(callback)
]


def test_every_route_declares_its_tenancy_fixture():
    undeclared = [
        f"{name or '(unnamed)'}: /{path}" for name, path, _ in ALL_ROUTES if name not in ROUTES
    ]
    assert not undeclared, "Declare these routes in tests/security/routes.py:\n" + "\n".join(
        undeclared
    )
    stale = set(ROUTES) - {name for name, _, _ in ALL_ROUTES}
    assert not stale, f"ROUTES names routes that no longer exist: {sorted(stale)}"


@dataclass
class Tenant:
    org: object
    unit: object
    member: object
    credential: object
    # Data of the tenant; names and types embed the unit id, so a leak is easy to spot.
    lead: object = None
    event: object = None
    order: object = None
    import_job: object = None
    # Scoring configuration of the tenant, by kind ("ruleset", "rule", "decay", ...).
    config: dict = field(default_factory=dict)
    slack: object = None  # the fake Slack workspace the OU is connected to


@dataclass
class World:
    a: Tenant
    a2: Tenant
    b: Tenant


def _tenant(org, role="Owner", member_role="member"):
    unit = make_unit(org)
    member = make_member(org, role=member_role)
    make_membership(unit, member, role)
    lead = lead_create(ou=unit, lead_id=f"lead-{unit.id}", metadata={"ou": unit.id})
    stored = event_ingest(
        ou=unit,
        event=EventInput(
            event_type=f"type-{unit.id}", lead_id=lead.lead_id, metadata={"ou": unit.id}
        ),
    )
    event = EngagementEvent.objects.unscoped().get(seq=stored.seq)
    order = order_create(
        ou=unit,
        order_id=f"order-{unit.id}",
        lead_id=lead.lead_id,
        amount=1,
        currency="EUR",
        items=[],
    )
    tenant = Tenant(org, unit, member, make_credential(unit).credential, lead, event, order)
    tenant.config = _scoring_config(unit, event.event_type)
    tenant.config.update(_fit_config(unit, lead))
    tenant.config.update(_segment_config(unit, lead))
    return tenant


def _segment_config(unit, lead) -> dict:
    """A segment whose rule holds for the tenant's lead, which is a member (and a recompute
    job, which the rule started)."""
    segment = segment_create(ou=unit, member=None, name=f"sg-{unit.id}")
    rule = segment_rule_create(
        ou=unit, member=None, segment_id=segment.public_id, rule_type="lead_metadata",
        field_name="ou", operator="equals", value=unit.id,
    )  # fmt: skip
    memberships_refresh(unit_id=unit.id, lead_pks=[lead.pk], cause="metadata")
    return {"segment": segment, "segment_rule": rule}


def _scoring_config(unit, event_type) -> dict:
    ruleset = ruleset_create(ou=unit, member=None, name=f"rs-{unit.id}")
    config = {
        "ruleset": ruleset,
        "rule": rule_create(ou=unit, member=None, event_type=event_type, weight=5),
        "decay": decay_create(ou=unit, member=None, inactive_for=30, time_unit="days", decrease=5),
        "filter": inorganic_filter_create(
            ou=unit, member=None, event_type=event_type, count_threshold=5, time_window_ms=1000
        ),
        "attribute_filter": attribute_filter_create(
            ou=unit,
            member=None,
            name=f"af-{unit.id}",
            conditions=[{"property": "ou", "condition": "equals", "value": unit.id}],
        ),
    }
    for kind in Level.Kind.values:  # every OU starts with default levels
        config[f"level_{kind}"] = Level.objects.for_ou(unit).filter(kind=kind).first()
    return config


def _fit_config(unit, lead) -> dict:
    """Profile and account scoring objects. The lead gets an account and an event (one the
    attribute filter lets through) whose `fit` the mappings copy, once it is scored, into a
    metadata key named after the OU."""
    lead_update(ou=unit, lead_id=lead.lead_id, metadata=lead.metadata, account_id=f"acc-{unit.id}")
    event_ingest(
        ou=unit, event=EventInput(event_type="fit", lead_id=lead.lead_id, metadata={"fit": 1})
    )
    config = {}
    for kind in (PROFILE, ACCOUNT):
        ruleset = fit_ruleset_create(ou=unit, member=None, kind=kind, name=f"fit-{unit.id}")
        config[f"{kind.name}_ruleset"] = ruleset
        config[f"{kind.name}_rule"] = fit_rule_create(
            ou=unit, member=None, kind=kind, ruleset_id=ruleset.public_id,
            property_name="ou", condition="equals", comparison_value=unit.id, weight=5,
        )  # fmt: skip
        config[f"{kind.name}_mapping"] = fit_mapping_create(
            ou=unit, member=None, kind=kind, source_field="fit", target_property=f"key-{unit.id}"
        )
    return config


def _connect_slack(tenant: Tenant, fake_slack) -> None:
    """The tenant's org gets a Slack app (once) and its OU installs it into a workspace of
    its own, through the OAuth callback."""
    client_id = f"app-{tenant.org.id}"
    if client_id not in fake_slack.apps:
        fake_slack.add_app(client_id, "app-secret")
        slack_app_set(org=tenant.org, client_id=client_id, client_secret="app-secret")
    tenant.slack = fake_slack.add_workspace(team_name=f"team-{tenant.unit.id}")
    fake_slack.installing = tenant.slack.team_id
    authorize_url = slack_install_begin(unit=tenant.unit, member=tenant.member)
    back = urlsplit(fake_slack.approve(authorize_url))
    response = APIClient().get(f"{back.path}?{back.query}")
    assert "slack=connected" in response["Location"]


def _trigger_config(tenant: Tenant) -> dict:
    """A trigger of each kind, named after the OU, that fired for the tenant's lead (each
    firing delivered by webhook)."""
    unit = tenant.unit
    window = {"window_seconds": 60}
    fields = {
        Trigger.Kind.MILESTONE: {"score_threshold": 10},
        Trigger.Kind.SEQUENCE: {"event_steps": ["a", "b"], **window},
        Trigger.Kind.PATTERN: {"conditions": [{"event_type": "a", "min_count": 2}], **window},
        Trigger.Kind.SURGE: {"threshold_count": 3, "webhook_url": "http://127.0.0.1/", **window},
        Trigger.Kind.SEGMENT: {
            "segment_id": tenant.config["segment"].public_id,
            "segment_direction": "enter",
        },
    }
    config = {}
    for kind, kind_fields in fields.items():
        trigger = trigger_create(
            ou=unit, member=None, kind=kind, name=f"{kind}-{unit.id}", **kind_fields
        )
        firing_kind = Firing.Kind.SEGMENT_ENTERED if kind == Trigger.Kind.SEGMENT else None
        make_delivery(make_firing(trigger, tenant.lead, kind=firing_kind, payload={"count": 3}))
        config[f"trigger_{kind}"] = trigger
    return config


@pytest.fixture
def world(db, settings, tmp_path, fake_slack) -> World:
    org_a = make_org()
    # Account levels answer 403 without ABM, before any lookup: the caller's org has it.
    org_a.abm_enabled = True
    org_a.save()
    a = _tenant(org_a, member_role="admin")  # the strongest caller of org A
    a2 = _tenant(org_a)
    settings.IMPORT_STORAGE_DIR = tmp_path / "imports"
    a2.import_job = import_job_create(
        ou=a2.unit, created_by=a2.member, upload=SimpleUploadedFile("a2.csv", b"event_type\n")
    )
    world = World(a=a, a2=a2, b=_tenant(make_org()))
    process_pending_events()  # field mappings write each tenant's metadata key
    for tenant in (world.a2, world.b):
        tenant.config.update(_trigger_config(tenant))
    for tenant in (world.a, world.a2, world.b):
        _connect_slack(tenant, fake_slack)
    return world


def caller(world: World) -> APIClient:
    return jwt_client_for(world.a.member, world.a.unit)


def _call(client, method, path, body=None):
    return getattr(client, method)(path, body or {}, format="json")


def _path(name, declaration, world):
    kwargs = declaration.kwargs(world) if isinstance(declaration, ObjectOf) else {}
    query = declaration.query(world) if isinstance(declaration, Listing) else None
    return reverse(name, kwargs=kwargs, query=query)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), PROTECTED)
def test_no_credentials_is_401(name, method, world):
    declaration = ROUTES.get(name, OwnData())
    response = _call(APIClient(), method, _path(name, declaration, world))
    assert response.status_code == 401, response.content
    assert response.json()["status"] == 401


OBJECT_ROUTES = [(n, m) for n, m in PROTECTED if isinstance(ROUTES.get(n), ObjectOf)]
LISTING_ROUTES = [
    (n, m) for n, m in PROTECTED if isinstance(ROUTES.get(n), Listing | OwnData) and m == "get"
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), OBJECT_ROUTES)
def test_another_tenants_object_is_404(name, method, world):
    declaration = ROUTES[name]
    foreign_before = declaration.foreign_state(world)
    response = _call(
        caller(world), method, _path(name, declaration, world), declaration.body(world)
    )
    if method in declaration.upsert_methods:
        assert response.status_code == 200, response.content
        assert declaration.foreign_state(world) == foreign_before
        return
    assert response.status_code == 404, response.content
    assert response.json() == {"status": 404, "error": "Not Found"}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), LISTING_ROUTES)
def test_another_tenants_rows_are_never_listed(name, method, world):
    declaration = ROUTES[name]
    response = _call(caller(world), method, _path(name, declaration, world))
    assert response.status_code == declaration.status, response.content
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode() + response.get("Location", "")
    foreign = declaration.foreign_ids(world) if isinstance(declaration, Listing) else []
    foreign += [world.b.org.id, world.b.unit.id, world.b.member.email]
    for value in foreign:
        assert value not in body, f"{name} shows {value} of another tenant"
