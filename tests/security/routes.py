"""How each API route declares the data the tenancy matrix test needs.

Every named route of the URL conf must appear in ROUTES, or the matrix test fails: a new route
is covered the moment it is declared. Declare a route with one of:

- `Public()`: answers without credentials (login, docs, health).
- `OwnData()`: needs credentials, takes no object id and reads or writes only the caller's
  own data (e.g. ingestion into the caller's OU).
- `Listing(foreign_ids, query=...)`: needs credentials and lists rows of the caller's tenant;
  `foreign_ids(world)` returns ids of the other tenant that must never appear in the body;
  `query(world)` the query parameters to call it with (e.g. a search for those ids).
- `ObjectOf(scope, kwargs, body=None)`: needs credentials and addresses one object; called
  with `kwargs(world)` (path parameters) and `body(world)` (JSON), naming an object of the
  other tenant, it must answer 404. `scope="org"`: the object belongs to another
  organization; `scope="ou"`: to another OU of the caller's own organization.

`world` (see test_tenancy_matrix.py) holds `a` (the caller's OU, org, member, credential)
and `b` (another org's) and `a2` (a sibling OU of `a` in the same org).
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Public:
    pass


@dataclass(frozen=True)
class OwnData:
    pass


@dataclass(frozen=True)
class Listing:
    foreign_ids: Callable
    query: Callable = field(default=lambda world: {})


@dataclass(frozen=True)
class ObjectOf:
    scope: str
    kwargs: Callable
    body: Callable = field(default=lambda world: {})


ROUTES = {
    "root": Public(),
    "home": Public(),
    "healthz": Public(),
    "readyz": Public(),
    "metrics": Public(),
    "schema": Public(),
    "docs": Public(),
    "auth-login": Public(),
    "auth-refresh": Public(),
    "auth-cleanup": Public(),
    "auth-me": OwnData(),
    "me-rate-limit": OwnData(),
    "usage": OwnData(),
    "settings-rate-limit": OwnData(),
    "org-units": Listing(lambda w: [w.b.unit.id, w.b.org.id]),
    "org-units-active": ObjectOf("org", kwargs=lambda w: {}, body=lambda w: {"ouId": w.b.unit.id}),
    "org-unit": ObjectOf(
        "org", kwargs=lambda w: {"unit_id": w.b.unit.id}, body=lambda w: {"name": "taken over"}
    ),
    "ou-memberships": ObjectOf(
        "org",
        kwargs=lambda w: {"unit_id": w.b.unit.id},
        body=lambda w: {"org_member_id": w.a.member.id},
    ),
    "ou-membership": ObjectOf(
        "org",
        kwargs=lambda w: {"unit_id": w.b.unit.id, "member_id": w.b.member.id},
        body=lambda w: {"role": "Viewer"},
    ),
    "org-members": Listing(lambda w: [w.b.member.id, w.b.member.email]),
    "org-member": ObjectOf(
        "org", kwargs=lambda w: {"member_id": w.b.member.id}, body=lambda w: {"first_name": "X"}
    ),
    "admin-audit-logs": Listing(lambda w: [w.b.member.email, w.a2.unit.id]),
    "events": Listing(lambda w: [w.a2.unit.id, w.a2.lead.lead_id]),
    "events-batch": OwnData(),
    "events-delete": OwnData(),
    "events-export": Listing(lambda w: [w.a2.unit.id, w.a2.lead.lead_id]),
    "event-types": Listing(lambda w: [w.a2.event.event_type]),
    "event-type-properties": ObjectOf("ou", kwargs=lambda w: {"event_type": w.a2.event.event_type}),
    "event-channels": OwnData(),
    "lead-events": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "lead-activity": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "orders": Listing(lambda w: [w.a2.order.order_id, w.a2.lead.lead_id]),
    "leads": Listing(lambda w: [w.a2.lead.lead_id, w.a2.unit.id]),
    "leads-search": Listing(
        lambda w: [w.a2.lead.lead_id], query=lambda w: {"q": w.a2.lead.lead_id}
    ),
    "leads-merge": ObjectOf(
        "ou",
        kwargs=lambda w: {},
        body=lambda w: {"targetLeadId": w.a.lead.lead_id, "sourceLeadIds": [w.a2.lead.lead_id]},
    ),
    "lead": ObjectOf(
        "ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}, body=lambda w: {"metadata": {}}
    ),
    "lead-deletion": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "lead-metadata": ObjectOf(
        "ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}, body=lambda w: {"taken": "over"}
    ),
    "lead-aliases": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "lead-profile": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "lead-account": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "events-import": OwnData(),
    "events-import-job": ObjectOf("ou", kwargs=lambda w: {"job_id": w.a2.import_job.id}),
    "secrets": Listing(lambda w: [w.a2.credential.client_id, w.b.credential.client_id]),
    "secret": ObjectOf("ou", kwargs=lambda w: {"secret_id": w.a2.credential.id}),
}
