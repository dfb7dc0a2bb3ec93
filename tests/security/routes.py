"""How each API route declares the data the tenancy matrix test needs.

Every named route of the URL conf must appear in ROUTES, or the matrix test fails: a new route
is covered the moment it is declared. Declare a route with one of:

- `Public()`: answers without credentials (login, docs, health).
- `OwnData(status=200)`: needs credentials, takes no object id and reads or writes only the
  caller's own data (e.g. ingestion into the caller's OU); a GET answers `status`.
- `Listing(foreign_ids, query=..., status=200)`: needs credentials and lists rows of the
  caller's tenant; `foreign_ids(world)` returns ids of the other tenant that must never appear
  in the body (or a redirect's `Location`); `query(world)` the query parameters to call it
  with (e.g. a search for those ids).
- `ObjectOf(scope, kwargs, body=None)`: needs credentials and addresses one object; called
  with `kwargs(world)` (path parameters) and `body(world)` (JSON), naming an object of the
  other tenant, it must answer 404. `scope="org"`: the object belongs to another
  organization; `scope="ou"`: to another OU of the caller's own organization.
  `upsert_methods`: methods that address the object by a name and create it in the caller's
  own OU when missing (PUT of an event-type setting): they answer 200 there, and
  `foreign_state(world)` (what the other tenant's object reads as) must not change.

`world` (see test_tenancy_matrix.py) holds `a` (the caller's OU, org, member, credential)
and `b` (another org's) and `a2` (a sibling OU of `a` in the same org). Each tenant's
`config` holds one object of each kind of scoring configuration, and `slack` the (fake)
Slack workspace its OU is connected to.

Triggers: `config["trigger_<kind>"]`, one of each kind, named after the OU, which fired for
the tenant's lead.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from scoring.models import EventTypeSetting


@dataclass(frozen=True)
class Public:
    pass


@dataclass(frozen=True)
class OwnData:
    status: int = 200  # of a GET by the caller


@dataclass(frozen=True)
class Listing:
    foreign_ids: Callable
    query: Callable = field(default=lambda world: {})
    status: int = 200


@dataclass(frozen=True)
class ObjectOf:
    scope: str
    kwargs: Callable
    body: Callable = field(default=lambda world: {})
    upsert_methods: tuple[str, ...] = ()
    foreign_state: Callable = field(default=lambda world: None)


def config_ids(kind: str) -> Callable:
    """The public ids, quoted as in a JSON body (`rs_1` is inside `"rs_12"`), of the other
    tenants' configuration objects of one kind."""
    return lambda w: [f'"{t.config[kind].public_id}"' for t in (w.a2, w.b)]


def slack_ids(w) -> list[str]:
    """What the other tenants' Slack workspaces show: team, bot, channel and user ids."""
    return [
        value
        for t in (w.a2, w.b)
        for value in (
            t.slack.team_id,
            t.slack.bot_user_id,
            *(channel["id"] for channel in t.slack.channels),
            *(user["id"] for user in t.slack.users),
        )
    ]


def config_object(kind: str, param: str, body: Callable = lambda w: {}) -> ObjectOf:
    return ObjectOf("ou", kwargs=lambda w: {param: w.a2.config[kind].public_id}, body=body)


def trigger_names(*kinds: str) -> Callable:
    """The names of the other tenants' triggers of these kinds (they embed the OU's id)."""
    return lambda w: [t.config[f"trigger_{kind}"].name for t in (w.a2, w.b) for kind in kinds]


def lead_ids(w) -> list[str]:
    return [t.lead.lead_id for t in (w.a2, w.b)]


# Trigger routes by name, and the kind of trigger they address.
TRIGGER_ROUTES = {
    "trigger-milestone": "milestone",
    "trigger-sequence": "sequence",
    "trigger-pattern": "pattern",
    "surge-trigger": "surge",
    "trigger-segment": "segment",
}

ROUTES = {
    "root": Public(),
    "home": Public(),
    "admin-app-root": Public(),
    "admin-app": Public(),
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
    "lead-score": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "lead-explain": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "leads-scores": Listing(lambda w: [w.a2.lead.lead_id]),
    "event-explain": ObjectOf("ou", kwargs=lambda w: {"event_id": w.a2.event.public_id}),
    "analytics": Listing(lambda w: [w.a2.event.event_type, w.b.event.event_type]),
    "analytics-stats": Listing(lambda w: [w.a2.event.event_type, w.b.event.event_type]),
    "analytics-top-leads": Listing(lambda w: [w.a2.lead.lead_id, w.b.lead.lead_id]),
    "analytics-recent-gains": Listing(lambda w: [w.a2.lead.lead_id, w.b.lead.lead_id]),
    "events-import": OwnData(),
    "events-import-job": ObjectOf("ou", kwargs=lambda w: {"job_id": w.a2.import_job.id}),
    "secrets": Listing(lambda w: [w.a2.credential.client_id, w.b.credential.client_id]),
    "secret": ObjectOf("ou", kwargs=lambda w: {"secret_id": w.a2.credential.id}),
    # The live stream of the OU named by `ouId` (a query parameter: GET sends the body so).
    "stream": ObjectOf("org", kwargs=lambda w: {}, body=lambda w: {"ouId": w.b.unit.id}),
    "segments": Listing(config_ids("segment")),
    "segment": config_object("segment", "segment_id", body=lambda w: {"name": "taken over"}),
    "segment-preview": OwnData(status=405),
    "segment-count": config_object("segment", "segment_id"),
    "segment-leads": config_object("segment", "segment_id"),
    "segment-leads-export": config_object("segment", "segment_id"),
    "segment-events": config_object("segment", "segment_id"),
    "segment-recompute": config_object("segment", "segment_id"),
    "segment-rules": config_object(
        "segment",
        "segment_id",
        body=lambda w: {"rule_type": "lead_metadata", "field_name": "x", "operator": "is_empty"},
    ),
    "segment-rule": ObjectOf(
        "ou",
        kwargs=lambda w: {
            "segment_id": w.a2.config["segment"].public_id,
            "rule_id": w.a2.config["segment_rule"].public_id,
        },
        body=lambda w: {"rule_name": "taken over"},
    ),
    "lead-segments": ObjectOf("ou", kwargs=lambda w: {"lead_id": w.a2.lead.lead_id}),
    "rulesets": Listing(config_ids("ruleset")),
    "ruleset": config_object("ruleset", "ruleset_id", body=lambda w: {"name": "taken over"}),
    "ruleset-rules": config_object("ruleset", "ruleset_id"),
    "ruleset-rescore": config_object("ruleset", "ruleset_id"),
    "rules": Listing(config_ids("rule")),
    "rule": config_object("rule", "rule_id", body=lambda w: {"weight": 100}),
    "decays": Listing(config_ids("decay")),
    "decay": config_object("decay", "decay_id", body=lambda w: {"decrease": 100}),
    "filters": Listing(config_ids("filter")),
    "filter": config_object("filter", "filter_id", body=lambda w: {"count_threshold": 100}),
    "attribute-filters": Listing(config_ids("attribute_filter")),
    "attribute-filter": config_object(
        "attribute_filter", "filter_id", body=lambda w: {"active": False}
    ),
    "levels-engagement": Listing(config_ids("level_engagement")),
    "level-engagement": config_object(
        "level_engagement", "level_id", body=lambda w: {"name": "taken over"}
    ),
    "levels-profile": Listing(config_ids("level_profile")),
    "level-profile": config_object(
        "level_profile", "level_id", body=lambda w: {"name": "taken over"}
    ),
    "levels-account": Listing(config_ids("level_account")),
    "level-account": config_object(
        "level_account", "level_id", body=lambda w: {"name": "taken over"}
    ),
    "surge-policy": OwnData(),
    "scoring-settings": OwnData(),
    "event-type-settings": Listing(lambda w: [w.a2.event.event_type, w.b.event.event_type]),
    "event-type-setting": ObjectOf(
        "ou",
        kwargs=lambda w: {"event_type": w.a2.event.event_type},
        body=lambda w: {"hidden": True},
        upsert_methods=("put",),
        foreign_state=lambda w: list(
            EventTypeSetting.objects.for_ou(w.a2.unit).values_list("event_type", "hidden")
        ),
    ),
    "event-type-delete-preview": ObjectOf(
        "ou", kwargs=lambda w: {"event_type": w.a2.event.event_type}
    ),
    "event-type-events": ObjectOf("ou", kwargs=lambda w: {"event_type": w.a2.event.event_type}),
    **{
        f"{route}s": Listing(config_ids(f"trigger_{kind}"))
        for route, kind in TRIGGER_ROUTES.items()
    },
    **{
        route: config_object(f"trigger_{kind}", "trigger_id", body=lambda w: {"name": "taken"})
        for route, kind in TRIGGER_ROUTES.items()
    },
    **{
        f"{route}-simulate": config_object(f"trigger_{kind}", "trigger_id")
        for route, kind in TRIGGER_ROUTES.items()
        if kind not in ("pattern", "segment")
    },
    "trigger-milestone-events": Listing(trigger_names("milestone")),
    "trigger-milestone-events-export": Listing(trigger_names("milestone")),
    "trigger-sequence-events": Listing(trigger_names("sequence")),
    "trigger-sequence-events-export": Listing(trigger_names("sequence")),
    "trigger-segment-events": Listing(trigger_names("segment")),
    "trigger-segment-events-export": Listing(trigger_names("segment")),
    "trigger-deliveries": Listing(lead_ids),
    "surge-events": Listing(lead_ids),
    "surge-metrics": ObjectOf("org", kwargs=lambda w: {"unit_id": w.b.unit.id}),
    "webhook-secret": OwnData(),
    "webhook-secret-rotate": OwnData(),
    **{
        f"{kind}-mappings": Listing(config_ids(f"{kind}_mapping"))
        for kind in ("profile", "account")
    },
    **{
        f"{kind}-mapping": config_object(
            f"{kind}_mapping", "mapping_id", body=lambda w: {"active": False}
        )
        for kind in ("profile", "account")
    },
    **{
        f"{kind}-rulesets": Listing(config_ids(f"{kind}_ruleset"))
        for kind in ("profile", "account")
    },
    **{
        f"{kind}-ruleset": config_object(
            f"{kind}_ruleset", "ruleset_id", body=lambda w: {"name": "taken over"}
        )
        for kind in ("profile", "account")
    },
    **{
        f"{kind}-ruleset-rules": config_object(
            f"{kind}_ruleset",
            "ruleset_id",
            body=lambda w, kind=kind: {
                f"{kind}_property": "taken",
                "condition": "exists",
                "weight": 1,
            },
        )
        for kind in ("profile", "account")
    },
    **{
        f"{kind}-ruleset-rule": ObjectOf(
            "ou",
            kwargs=lambda w, kind=kind: {
                "ruleset_id": w.a2.config[f"{kind}_ruleset"].public_id,
                "rule_id": w.a2.config[f"{kind}_rule"].public_id,
            },
            body=lambda w: {"weight": 100},
        )
        for kind in ("profile", "account")
    },
    # Each tenant's lead and account carry a metadata key named after their OU.
    "profile-properties": Listing(lambda w: [f"key-{t.unit.id}" for t in (w.a2, w.b)]),
    "account-properties": Listing(lambda w: [f"key-{t.unit.id}" for t in (w.a2, w.b)]),
    "accounts": Listing(lambda w: [f"acc-{t.unit.id}" for t in (w.a2, w.b)]),
    "account": ObjectOf("ou", kwargs=lambda w: {"account_id": f"acc-{w.a2.unit.id}"}),
    "accounts-delete": OwnData(),  # another OU's ids: `not_found` (tests/scoring/test_accounts)
    "admin-apply-profile-mappings": OwnData(),
    # GET: the OU's latest backfill (none in the world: 404).
    "backfill-accounts": OwnData(status=404),
    "backfill-event-accounts": OwnData(status=404),
    "admin-seed": OwnData(),
    "admin-wipe-seed": OwnData(),
    "settings-slack-app": OwnData(),
    "integrations-slack": Listing(slack_ids),
    "integrations-slack-install": OwnData(status=302),
    "integrations-slack-callback": Public(),  # the single-use OAuth state is the credential
    "integrations-slack-channels": Listing(slack_ids),
    "integrations-slack-users": Listing(slack_ids),
    "integrations-slack-default-target": OwnData(),
    "integrations-slack-test": OwnData(),
}
