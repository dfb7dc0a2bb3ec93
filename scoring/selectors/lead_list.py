"""GET /leads: the OU's unmerged leads with their primary score and engagement level, sorted
by score or by creation, filtered by score, creation time, last event type and last activity;
and, with `updated_since`, the incremental-sync feed of the leads that changed
(leads_changed_since).

Built to stay fast over millions of leads:

- Sorted by score, a page is read from the `(ruleset, -score, lead)` index of the primary
  ruleset's scores, joined to the lead (and its scoring state when a filter needs it) by
  primary key, so it stops after `offset + limit` matches. Leads with no stored score have 0;
  they come after the stored scores of 0 and before the negative ones (ties of a score: the
  lead created first), and are only read once a page reaches them.
- `event_type` and `last_active` read the lead's scoring state (`last_event_type`,
  `last_activity_at`): they describe the events scored so far.
- `total` is exact up to EXACT_COUNT_LIMIT matching leads; above that, counting every match
  would cost more than the page itself, so it is PostgreSQL's estimate and `total_exact` is
  false.
"""

import dataclasses
import datetime
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from leadvibe.sql import jsonb_loaded
from orgunits.models import OrgUnit
from scoring.engine.levels import level_for
from scoring.models import Lead, LeadDeletion, LeadScore, LeadScoringState, Ruleset
from scoring.selectors.events import TimeWindow
from scoring.selectors.leads import DELETION_IN_PROGRESS, leads_visible
from scoring.selectors.scores import engagement_levels, primary_ruleset

EXACT_COUNT_LIMIT = 10_000
SORTS = ("-score", "score", "-created_at", "created_at")
# What a step along the ranking index costs, in leads gathered (measured with
# bench/leads_list.py): a step reads one index entry and probes the lead's state; gathering a
# lead reads its state, its row and its score.
WALK_COST = 0.5


@dataclass(frozen=True)
class LeadListFilters:
    created: TimeWindow = field(default_factory=TimeWindow)
    last_event_type: str | None = None
    active_since: datetime.datetime | None = None
    min_score: int | None = None
    max_score: int | None = None

    @property
    def zero_in_range(self) -> bool:
        return (self.min_score is None or self.min_score <= 0) and (
            self.max_score is None or self.max_score >= 0
        )

    @property
    def narrows_leads(self) -> bool:
        """Whether a filter other than the score's applies."""
        return (
            self.created != TimeWindow()
            or self.last_event_type is not None
            or self.active_since is not None
        )

    def score_condition(self, prefix: str = "") -> Q:
        condition = Q()
        if self.min_score is not None:
            condition &= Q(**{f"{prefix}score__gte": self.min_score})
        if self.max_score is not None:
            condition &= Q(**{f"{prefix}score__lte": self.max_score})
        return condition


@dataclass(frozen=True)
class LeadListItem:
    lead: Lead
    score: int
    engagement_level: str | None
    last_event_type: str | None
    last_active_at: datetime.datetime | None
    # Its place in the incremental-sync feed (leads_changed_since); None in other lists.
    changed_at: datetime.datetime | None = None


@dataclass(frozen=True)
class LeadListPage:
    items: list[LeadListItem]
    total: int
    total_exact: bool


def leads_list(
    *, ou: OrgUnit, filters: LeadListFilters, sort: str, offset: int, limit: int
) -> LeadListPage:
    token = _memo.set({})
    try:
        primary = primary_ruleset(ou=ou)
        if sort in ("-score", "score") and primary is not None:
            ranked = _page_by_score(ou, primary, filters, descending=sort == "-score",
                                    offset=offset, limit=limit)  # fmt: skip
        else:
            ranked = _page_by_creation(ou, primary, filters, sort=sort, offset=offset, limit=limit)
        total, exact = _total(ou, primary, filters)
        return LeadListPage(items=_items(ou, ranked), total=total, total_exact=exact)
    finally:
        _memo.reset(token)


# What one call of leads_list has already asked the database (the leads being deleted, row
# estimates of a statement): the page and its total ask the same questions.
_memo: ContextVar[dict] = ContextVar("lead_list_memo")


def _memoized(key, compute):
    memo = _memo.get(None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


# --- Filters --------------------------------------------------------------------------------


def _matching_leads(ou: OrgUnit, filters: LeadListFilters) -> QuerySet[Lead]:
    leads = filters.created.filter(
        leads_visible(ou=ou).filter(merged_into__isnull=True), "created_at"
    )
    return leads.filter(_state_condition(ou, filters, prefix=""))


def _state_condition(ou: OrgUnit, filters: LeadListFilters, *, prefix: str) -> Q:
    """The filters on the lead's scoring state; the state's unit is named so that its
    `(unit, ...)` indexes can serve them."""
    if filters.last_event_type is None and filters.active_since is None:
        return Q()
    condition = Q(**{f"{prefix}leadscoringstate__unit": ou})
    if filters.last_event_type is not None:
        condition &= Q(**{f"{prefix}leadscoringstate__last_event_type": filters.last_event_type})
    if filters.active_since is not None:
        condition &= Q(**{f"{prefix}leadscoringstate__last_activity_at__gte": filters.active_since})
    return condition


def _matching_scores(ou: OrgUnit, primary: Ruleset, filters: LeadListFilters) -> QuerySet:
    """The primary ruleset's stored scores of matching leads (score range not applied).

    Merged leads have no stored scores (a merge drops the sources', §4.10) and the leads
    being deleted are few, so they are left out by key: without a filter on the lead's
    creation, neither the page nor its count reads the lead table, and state filters are one
    probe of the state's primary key.
    """
    # `primary` is the OU's: its scores are the OU's leads' (no unit filter, which the
    # ranking index could not answer without reading every row).
    scores = (
        LeadScore.objects.unscoped().filter(ruleset=primary).exclude(lead_id__in=_being_deleted(ou))
    )
    if filters.created != TimeWindow():
        # The lead's unit lets its `(unit, -created_at)` index serve the range.
        scores = filters.created.filter(scores.filter(lead__unit=ou), "lead__created_at")
    if filters.last_event_type is not None or filters.active_since is not None:
        states = LeadScoringState.objects.for_ou(ou).filter(_state_fields(filters))
        scores = scores.filter(Exists(states.filter(lead=OuterRef("lead_id"))))
    return scores


def _state_fields(filters: LeadListFilters) -> Q:
    condition = Q()
    if filters.last_event_type is not None:
        condition &= Q(last_event_type=filters.last_event_type)
    if filters.active_since is not None:
        condition &= Q(last_activity_at__gte=filters.active_since)
    return condition


def _being_deleted(ou: OrgUnit) -> list[int]:
    deleting = LeadDeletion.objects.for_ou(ou).filter(status__in=DELETION_IN_PROGRESS)
    leads = Lead.objects.for_ou(ou).filter(lead_id__in=deleting.values("lead_id"))
    return _memoized(("deleting", ou.pk), lambda: list(leads.values_list("pk", flat=True)))


def _unscored_leads(ou: OrgUnit, primary: Ruleset, filters: LeadListFilters) -> QuerySet[Lead]:
    stored = LeadScore.objects.unscoped().filter(lead=OuterRef("pk"), ruleset=primary)
    return _matching_leads(ou, filters).filter(~Exists(stored))


# --- Pages ----------------------------------------------------------------------------------


def _page_by_score(
    ou: OrgUnit,
    primary: Ruleset,
    filters: LeadListFilters,
    *,
    descending: bool,
    offset: int,
    limit: int,
) -> list[tuple[int, int]]:
    """(lead pk, score) of the page: sorted by score, then stored scores before leads without
    one (0), then the lead created first (each reversed for ascending)."""
    scores = _matching_scores(ou, primary, filters).filter(filters.score_condition())
    if not _walks_the_ranking(ou, primary, filters, scores, rows_needed=offset + limit):
        return _gathered_page(ou, primary, filters, descending=descending)[offset : offset + limit]
    order = ("-score", "lead_id") if descending else ("score", "-lead_id")
    non_negative = scores.filter(score__gte=0).order_by(*order).values_list("lead_id", "score")
    negative = scores.filter(score__lt=0).order_by(*order).values_list("lead_id", "score")
    segments = [non_negative]
    if filters.zero_in_range:
        unscored = _unscored_leads(ou, primary, filters)
        segments.append(
            unscored.order_by("pk" if descending else "-pk").values_list("pk", Value(0))
        )
    segments.append(negative)
    if not descending:
        segments.reverse()
    return _read_segments(segments, offset=offset, limit=limit)


def _walks_the_ranking(
    ou: OrgUnit, primary: Ruleset, filters: LeadListFilters, matches: QuerySet, *, rows_needed: int
) -> bool:
    """Whether to read the page along the `(ruleset, -score, lead)` index, testing each lead
    against the filters until the page is full, rather than gather every lead the other
    filters keep (through their own indexes) with its score, and sort them.

    Walking reads about `rows_needed x scores in range / matches` index entries, each with a
    lookup of the lead (and its state); gathering reads every lead the other filters keep,
    each with a lookup of its score. The figures are the planner's estimates (no rows are
    read).
    """
    if not filters.narrows_leads:
        return True
    expected = max(1, _estimated_rows(matches))
    in_range = (
        LeadScore.objects.unscoped().filter(ruleset=primary).filter(filters.score_condition())
    )
    walked = rows_needed * max(1, _estimated_rows(in_range)) / expected
    return walked * WALK_COST < _estimated_rows(_matching_leads(ou, filters))


def _gathered_page(
    ou: OrgUnit, primary: Ruleset, filters: LeadListFilters, *, descending: bool
) -> QuerySet:
    """Every matching lead with its score (0 without a stored one), sorted: for filters
    that keep few leads."""
    leads = (
        _matching_leads(ou, filters)
        .alias(primary_score=FilteredRelation("leadscore", condition=Q(leadscore__ruleset=primary)))
        .annotate(stored=F("primary_score__score"), score=Coalesce("primary_score__score", 0))
        .filter(filters.score_condition())
    )
    if descending:
        order = (F("score").desc(), F("stored").asc(nulls_last=True), "pk")
    else:
        order = (F("score").asc(), F("stored").asc(nulls_first=True), "-pk")
    return leads.order_by(*order).values_list("pk", "score")


def _read_segments(segments: list[QuerySet], *, offset: int, limit: int) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        # A walk stops once the page is full: parallel workers would each walk ahead and
        # have most of their rows thrown away, on the cores the web workers need.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return _read_in_order(segments, offset=offset, limit=limit)


def _read_in_order(segments: list[QuerySet], *, offset: int, limit: int) -> list[tuple]:
    rows: list[tuple] = []
    for segment in segments:
        wanted = limit - len(rows)
        if wanted == 0:
            break
        found = list(segment[offset : offset + wanted])
        rows += found
        if len(found) == wanted:
            break
        # The segment ended inside the page or before it: the next one starts after it.
        size = offset + len(found) if found else segment[:offset].count()
        offset = max(0, offset - size)
    return rows


def _page_by_creation(
    ou: OrgUnit,
    primary: Ruleset | None,
    filters: LeadListFilters,
    *,
    sort: str,
    offset: int,
    limit: int,
) -> list[tuple[int, int]]:
    leads = _matching_leads(ou, filters)
    if primary is None:
        if not filters.zero_in_range:
            return []
        leads = leads.annotate(score=Value(0))
    else:
        stored = LeadScore.objects.unscoped().filter(lead=OuterRef("pk"), ruleset=primary)
        leads = leads.annotate(score=Coalesce(Subquery(stored.values("score")[:1]), 0))
        leads = leads.filter(filters.score_condition())
    order = ("-created_at", "-pk") if sort.startswith("-") else ("created_at", "pk")
    if sort in ("-score", "score"):  # no primary ruleset: every score is 0
        order = ("pk",) if sort == "-score" else ("-pk",)
    return list(leads.order_by(*order).values_list("pk", "score")[offset : offset + limit])


def _items(ou: OrgUnit, ranked: list[tuple[int, int]]) -> list[LeadListItem]:
    pks = [pk for pk, _ in ranked]
    leads = Lead.objects.for_ou(ou).select_related("account", "leadscoringstate").in_bulk(pks)
    levels = engagement_levels(ou=ou)
    items = []
    for pk, score in ranked:
        lead = leads[pk]
        state = getattr(lead, "leadscoringstate", None)  # None: no event scored yet
        items.append(
            LeadListItem(
                lead=lead,
                score=score,
                engagement_level=level_for(score, levels),
                last_event_type=state.last_event_type if state else None,
                last_active_at=state.last_activity_at if state else None,
            )
        )
    return items


# --- Totals ---------------------------------------------------------------------------------


def _total(ou: OrgUnit, primary: Ruleset | None, filters: LeadListFilters) -> tuple[int, bool]:
    """Matching leads: those with a stored score in range, plus (when 0 is in range) the
    leads without one, counted as all matching leads less those whose stored score is out of
    range."""
    if primary is None:
        return _count(_matching_leads(ou, filters)) if filters.zero_in_range else (0, True)
    scores = _matching_scores(ou, primary, filters)
    if not filters.zero_in_range:
        return _count(scores.filter(filters.score_condition()))
    total, exact = _count(_matching_leads(ou, filters))
    if filters.min_score is None and filters.max_score is None:
        return total, exact
    outside, outside_exact = _count(scores.exclude(filters.score_condition()))
    return max(0, total - outside), exact and outside_exact


def _count(queryset: QuerySet) -> tuple[int, bool]:
    """(count, exact): exact when the planner expects at most EXACT_COUNT_LIMIT rows and there
    are no more; otherwise the planner's estimate (at least the rows counted)."""
    estimate = _estimated_rows(queryset)
    if estimate > EXACT_COUNT_LIMIT:
        return estimate, False
    counted = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
    if counted <= EXACT_COUNT_LIMIT:
        return counted, True
    return max(estimate, counted), False


def _estimated_rows(queryset: QuerySet) -> int:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return _memoized(("estimate", sql, tuple(map(str, params))), lambda: _explain_rows(sql, params))


def _explain_rows(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()
    plan = jsonb_loaded(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


# --- Incremental sync -----------------------------------------------------------------------


def leads_changed_since(
    *, ou: OrgUnit, since: datetime.datetime, after_lead_id: str | None, limit: int
) -> LeadListPage:
    """GET /leads?updated_since=: the unmerged leads whose row (metadata, account) or scoring
    state (scores, decay) changed at or after `since`, ordered by `(changed_at, lead_id)`,
    where `changed_at` is the later of the two; with `after_lead_id`, only those after that
    lead's place `(since, after_lead_id)`.

    Each lead is read from the one of its two timestamps that is the later (the row's on a
    tie), so the feed holds it once and each part is an index range: the lead rows by
    `(unit, updated_at)`, the scoring states by `(unit, updated_at)`. A lead that changes
    again moves to its new place, after any cursor that passed the old one.
    """
    token = _memo.set({})
    try:
        rows_changed, states_changed = changed_lead_rows(ou, since, after_lead_id)
        page = (
            rows_changed.order_by("changed_at", "lead_id")[:limit]
            .union(states_changed.order_by("changed_at", "lead__lead_id")[:limit], all=True)
            .order_by("changed_at", "lead_id")[:limit]
        )
        changes = list(page)
        scores = _primary_scores(ou, [pk for _, _, pk in changes])
        items = _items(ou, [(pk, scores.get(pk, 0)) for _, _, pk in changes])
        items = [
            dataclasses.replace(item, changed_at=changed_at)
            for item, (changed_at, _, _) in zip(items, changes, strict=True)
        ]
        rows_total, rows_exact = _count(rows_changed)
        states_total, states_exact = _count(states_changed)
        return LeadListPage(
            items=items, total=rows_total + states_total, total_exact=rows_exact and states_exact
        )
    finally:
        _memo.reset(token)


def changed_lead_rows(
    ou: OrgUnit, since: datetime.datetime, after_lead_id: str | None
) -> tuple[QuerySet, QuerySet]:
    """(changed_at, lead_id, pk) of the leads placed by their row, and of those placed by
    their scoring state: disjoint, each filtered on its own timestamp's index."""
    later_state = LeadScoringState.objects.unscoped().filter(
        lead=OuterRef("pk"), updated_at__gte=OuterRef("updated_at")
    )
    by_row = (
        leads_visible(ou=ou)
        .filter(merged_into__isnull=True, updated_at__gte=since)
        .filter(~Exists(later_state))
        .annotate(changed_at=F("updated_at"))
    )
    by_state = (
        LeadScoringState.objects.for_ou(ou)
        .filter(updated_at__gte=since, lead__merged_into__isnull=True)
        .filter(lead__updated_at__lte=F("updated_at"))
        .exclude(lead_id__in=_being_deleted(ou))
        .annotate(changed_at=F("updated_at"))
    )
    if after_lead_id is not None:
        by_row = by_row.filter(Q(updated_at__gt=since) | Q(lead_id__gt=after_lead_id))
        by_state = by_state.filter(Q(updated_at__gt=since) | Q(lead__lead_id__gt=after_lead_id))
    return (
        by_row.values_list("changed_at", "lead_id", "pk"),
        by_state.values_list("changed_at", "lead__lead_id", "lead_id"),
    )


def _primary_scores(ou: OrgUnit, lead_pks: list[int]) -> dict[int, int]:
    primary = primary_ruleset(ou=ou)
    if primary is None:
        return {}
    scores = LeadScore.objects.unscoped().filter(ruleset=primary, lead_id__in=lead_pks)
    return dict(scores.values_list("lead_id", "score"))
