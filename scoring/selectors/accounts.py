"""Reads of account-based marketing (architecture.md §4.9): the OU's accounts with their leads
rolled up (GET /accounts) and one account in detail (GET /accounts/{id}).

- An account's score and level are its primary account ruleset's (the OU's enabled primary
  one; none without it): the stored score, or the score of empty metadata for an account
  with none stored. That is exact: account metadata is only written together with the
  account's scores, and enabling or editing a ruleset recomputes every account's
  (scoring.fit.services.scores), so only accounts that never had metadata lack a score.
- The roll-up of an account reads its leads that are neither merged nor being deleted:
  `leads_count`, the sum and the highest of their primary engagement scores (0 for a lead
  without a stored one or when the OU has no primary ruleset; `top_score` is None without
  leads) and their latest activity (`last_activity_at` of their scoring states).

The list costs one statement for the page and one for its count, whatever the number of
accounts and leads: the page is chosen from the accounts and their scores alone, highest
account score first (then the account created first), and the roll-ups are computed for the
page's accounts only, each through the leads' account index.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.engine.levels import LevelRange, level_for
from scoring.engine.profile import ProfileRuleset as EngineRuleset
from scoring.engine.profile import profile_scores
from scoring.fit.selectors import ACCOUNT, FitScores, engine_rule, fit_scores_of
from scoring.models import (
    Account,
    AccountRule,
    AccountRuleset,
    AccountScore,
    EngagementEvent,
    Lead,
    LeadDeletion,
    LeadScore,
    LeadScoringState,
    Level,
)
from scoring.selectors.config import levels_list
from scoring.selectors.events import TimeWindow, event_items
from scoring.selectors.leads import DELETION_IN_PROGRESS, leads_visible
from scoring.selectors.scores import engagement_levels, primary_ruleset

# GET /accounts/{id} shows this many of the account's leads (highest score first) and events.
DETAIL_LEADS = 100
DETAIL_EVENTS = 20


@dataclass(frozen=True)
class AccountFilters:
    # Accounts with a lead whose last activity falls in the window.
    active: TimeWindow = field(default_factory=TimeWindow)
    # In the account's name, id or metadata (as JSON text), case-insensitively.
    search: str | None = None
    # The name of an account level (case-insensitive).
    level: str | None = None


@dataclass(frozen=True)
class AccountRollup:
    account: Account
    score: int | None
    level: str | None
    leads_count: int
    total_score: int
    top_score: int | None
    last_activity_at: datetime.datetime | None

    @property
    def domain(self) -> str | None:
        """`metadata.domain` when it is a string."""
        domain = self.account.metadata.get("domain")
        return domain if isinstance(domain, str) else None


@dataclass(frozen=True)
class AccountPage:
    items: list[AccountRollup]
    total: int


def accounts_list(*, ou: OrgUnit, filters: AccountFilters, offset: int, limit: int) -> AccountPage:
    """A page of the OU's matching accounts, highest account score first (None last), then
    the account created first. A `filters.level` that names no account level of the OU
    matches no account."""
    scored = _scored_accounts(ou)
    levels = _account_levels(ou)
    accounts = _filtered(ou, scored, filters, levels)
    page = accounts.order_by(F("account_score").desc(nulls_last=True), "pk").values(
        "pk", "account_score"
    )[offset : offset + limit]
    return AccountPage(items=_rolled_up(ou, page, levels=levels), total=accounts.order_by().count())


@dataclass(frozen=True)
class AccountLead:
    lead: Lead
    score: int
    engagement_level: str | None
    last_active_at: datetime.datetime | None


@dataclass(frozen=True)
class AccountDetail(AccountRollup):
    fit: FitScores
    leads: list[AccountLead]
    recent_events: list[EngagementEvent]


def account_detail_get(*, ou: OrgUnit, account_id: str) -> AccountDetail:
    """The account with its roll-up, its scores in every enabled account ruleset, its
    DETAIL_LEADS highest-scoring leads and its leads' DETAIL_EVENTS latest events;
    NotFoundError when the OU has no such account."""
    account = Account.objects.for_ou(ou).filter(account_id=account_id).first()
    if account is None:
        raise NotFoundError()
    page = _scored_accounts(ou).filter(pk=account.pk).values("pk", "account_score")
    (rollup,) = _rolled_up(ou, page, levels=_account_levels(ou))
    return AccountDetail(
        **vars(rollup),
        fit=fit_scores_of(ou=ou, kind=ACCOUNT, subject=account),
        leads=_account_leads(ou, account),
        recent_events=list(
            event_items(
                ou=ou, events=EngagementEvent.objects.for_ou(ou).filter(lead__account=account)
            ).order_by("-occurred_at", "-seq")[:DETAIL_EVENTS]
        ),
    )


# --- The page -------------------------------------------------------------------------------


def _scored_accounts(ou: OrgUnit) -> QuerySet[Any]:
    """The OU's accounts with `account_score` (None without an enabled primary ruleset)."""
    accounts: QuerySet[Any] = Account.objects.for_ou(ou)
    primary = AccountRuleset.objects.for_ou(ou).filter(is_primary=True, enabled=True).first()
    if primary is None:
        unranked: QuerySet[Any] = accounts.annotate(
            account_score=Value(None, output_field=IntegerField())
        )
        return unranked
    rules = AccountRule.objects.for_ou(ou).filter(ruleset=primary).order_by("ui_order", "id")
    unscored = profile_scores({}, [EngineRuleset(primary.pk, tuple(map(engine_rule, rules)))])
    stored = AccountScore.objects.unscoped().filter(account=OuterRef("pk"), ruleset=primary)
    scored: QuerySet[Any] = accounts.annotate(
        account_score=Coalesce(Subquery(stored.values("score")[:1]), Value(unscored[primary.pk]))
    )
    return scored


def _account_levels(ou: OrgUnit) -> list[LevelRange]:
    return [
        LevelRange(level.name, level.min_score, level.max_score)
        for level in levels_list(ou=ou, kind=Level.Kind.ACCOUNT)
    ]


def _filtered(
    ou: OrgUnit, accounts: QuerySet[Any], filters: AccountFilters, levels: list[LevelRange]
) -> QuerySet[Any]:
    if filters.search is not None:
        accounts = accounts.annotate(metadata_text=Cast("metadata", TextField())).filter(
            Q(name__icontains=filters.search)
            | Q(account_id__icontains=filters.search)
            | Q(metadata_text__icontains=filters.search)
        )
    if filters.level is not None:
        accounts = accounts.filter(_level_condition(filters.level, levels))
    if filters.active != TimeWindow():
        active_leads = filters.active.filter(
            leads_visible(ou=ou).filter(account=OuterRef("pk"), merged_into__isnull=True),
            "leadscoringstate__last_activity_at",
        )
        accounts = accounts.filter(Exists(active_leads))
    return accounts


def _level_condition(name: str, levels: list[LevelRange]) -> Q:
    wanted = [level for level in levels if level.name.casefold() == name.casefold()]
    condition = Q(Value(False, output_field=BooleanField()))  # no level of that name: none
    for level in wanted:
        in_level = Q(account_score__gte=level.min_score)
        if level.max_score is not None:
            in_level &= Q(account_score__lte=level.max_score)
        condition |= in_level
    return condition


# --- The roll-ups ---------------------------------------------------------------------------

_ROLLUP_SQL = (
    "SELECT count(l.id) AS leads_count, "  # noqa: S608 - our table names
    "coalesce(sum(coalesce(s.score, 0)), 0) AS total_score, "
    "max(coalesce(s.score, 0)) AS top_score, "
    "max(st.last_activity_at) AS last_activity_at "
    f"FROM {Lead._meta.db_table} AS l "
    f"LEFT JOIN {LeadScore._meta.db_table} AS s ON s.lead_id = l.id AND s.ruleset_id = %s "
    f"LEFT JOIN {LeadScoringState._meta.db_table} AS st ON st.lead_id = l.id "
    "WHERE l.account_id = a.id AND l.merged_into_id IS NULL AND NOT EXISTS ("
    f"SELECT 1 FROM {LeadDeletion._meta.db_table} AS d "
    "WHERE d.unit_id = l.unit_id AND d.lead_id = l.lead_id AND d.status = ANY(%s))"
)


def _rolled_up(
    ou: OrgUnit, page: QuerySet[Any], *, levels: list[LevelRange]
) -> list[AccountRollup]:
    """The page's accounts (a values query of `pk` and `account_score`, in page order) with
    their roll-ups, in one statement."""
    page_sql, page_params = page.query.sql_with_params()
    primary = primary_ruleset(ou=ou)
    accounts = Account.objects.unscoped().raw(  # scoped by the page, which is the OU's
        f"SELECT a.*, page.account_score, r.* FROM ({page_sql}) AS page "  # noqa: S608
        f"JOIN {Account._meta.db_table} AS a ON a.id = page.pk "
        f"CROSS JOIN LATERAL ({_ROLLUP_SQL}) AS r "
        "ORDER BY page.account_score DESC NULLS LAST, a.id",
        [*page_params, primary.pk if primary else None, [s.value for s in DELETION_IN_PROGRESS]],
    )
    return [
        AccountRollup(
            account=account,
            score=account.account_score,
            level=None
            if account.account_score is None
            else level_for(account.account_score, levels),
            leads_count=account.leads_count,
            total_score=account.total_score,
            top_score=account.top_score,
            last_activity_at=account.last_activity_at,
        )
        for account in accounts
    ]


def _account_leads(ou: OrgUnit, account: Account) -> list[AccountLead]:
    primary = primary_ruleset(ou=ou)
    leads = leads_visible(ou=ou).filter(account=account, merged_into__isnull=True)
    if primary is None:
        leads = leads.annotate(score=Value(0))
    else:
        stored = LeadScore.objects.unscoped().filter(lead=OuterRef("pk"), ruleset=primary)
        leads = leads.annotate(score=Coalesce(Subquery(stored.values("score")[:1]), 0))
    levels = engagement_levels(ou=ou)
    ranked = leads.select_related("leadscoringstate").order_by("-score", "pk")[:DETAIL_LEADS]
    return [
        AccountLead(
            lead=lead,
            score=lead.score,
            engagement_level=level_for(lead.score, levels),
            last_active_at=_last_activity(lead),
        )
        for lead in ranked
    ]


def _last_activity(lead: Lead) -> datetime.datetime | None:
    state = getattr(lead, "leadscoringstate", None)  # None: no event scored yet
    return state.last_activity_at if state else None
