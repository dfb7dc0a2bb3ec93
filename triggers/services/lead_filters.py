"""Lead-level filters of sequence triggers, checked when a sequence completes: conditions
`{"property", "operator", "value"}` (the operators of scoring's attribute filters) on the
lead's metadata (`lead_attribute_filters`) and on its profile (`profile_filters`: `score`,
the lead's score in the primary profile ruleset, or a profile ruleset's id such as `prs_3`)."""

from collections.abc import Iterable, Mapping
from typing import Any

from scoring.engine.conditions import condition_holds
from scoring.models import Lead, LeadProfileScore, ProfileRuleset


def _all_hold(facts: Mapping[str, Any], conditions: Iterable[Mapping[str, Any]]) -> bool:
    return all(
        condition_holds(
            facts,
            str(c.get("property") or c.get("field") or c.get("key") or ""),
            c.get("operator", "equals"),
            c.get("value"),
        )
        for c in conditions
    )


def lead_profile_facts(lead_pk: int) -> dict[str, Any]:
    rows = (
        LeadProfileScore.objects.unscoped()
        .filter(lead_id=lead_pk)
        .values_list("ruleset_id", "ruleset__is_primary", "score")
    )
    facts: dict[str, Any] = {"score": 0}
    for ruleset_id, is_primary, score in rows:
        facts[f"{ProfileRuleset.ID_PREFIX}{ruleset_id}"] = score
        if is_primary:
            facts["score"] = score
    return facts


def lead_passes_filters(
    lead_pk: int,
    lead_attribute_filters: Iterable[Mapping[str, Any]],
    profile_filters: Iterable[Mapping[str, Any]],
) -> bool:
    if lead_attribute_filters:
        metadata = (
            Lead.objects.unscoped().filter(pk=lead_pk).values_list("metadata", flat=True).first()
        )
        if not _all_hold(metadata or {}, lead_attribute_filters):
            return False
    return not profile_filters or _all_hold(lead_profile_facts(lead_pk), profile_filters)
