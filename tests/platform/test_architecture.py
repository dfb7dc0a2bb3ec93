"""How the house is laid out, checked: no import cycle among the project's modules, triggers
read scoring's tables only through scoring's selectors and payloads, and extension points call
their subscribers in the declared order (import-linter checks the layering itself)."""

import re
from pathlib import Path

import grimp
import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from leadvibe.extension_points import ExtensionPoint
from orgunits.extension_points import ORG_UNIT_CREATED
from scoring.extension_points import (
    DECAY_APPLIED,
    LEAD_METADATA_CHANGED,
    LEADS_DELETING,
    LEADS_MERGED,
    LEADS_RESCORED,
    SCORE_BASIS_CHANGED,
    SCORED_BATCH,
)
from segments.extension_points import MEMBERSHIP_CHANGED

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("leadvibe", "orgunits", "scoring", "segments", "triggers", "demo")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            following = next(imported, None)
            if following is not None:
                if following not in index:
                    index[following] = low[following] = len(index)
                    stack.append(following)
                    on_stack.add(following)
                    work.append(
                        (
                            following,
                            iter(sorted(graph.find_modules_directly_imported_by(following))),
                        )
                    )
                elif following in on_stack:
                    low[module] = min(low[module], index[following])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_cycle_among_the_project_modules(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    # Imports for annotations only never run, so they cannot close a cycle.
    graph = grimp.build_graph(*PROJECT_PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    assert "scoring.services.pipeline" in graph.modules
    assert import_cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle():
    graph = grimp.ImportGraph()
    for importer, imported in (("a.events", "a.pipeline"), ("a.pipeline", "a.tasks")):
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == []
    graph.add_import(importer="a.tasks", imported="a.events")
    assert import_cycles(graph) == [["a.events", "a.pipeline", "a.tasks"]]


def test_triggers_never_name_a_scoring_table():
    tables = {model._meta.db_table for model in apps.get_app_config("scoring").get_models()}
    named = re.compile(r"\b(" + "|".join(sorted(tables, key=len, reverse=True)) + r")\b")
    offenders = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in sorted((ROOT / "triggers").rglob("*.py"))
        for match in named.findall(path.read_text())
    ]
    assert offenders == []


def test_subscribers_run_in_the_declared_order_whatever_order_they_subscribed_in():
    point: ExtensionPoint[list] = ExtensionPoint("example", order=("first", "second", "third"))
    point.subscribe("third", lambda calls: calls.append("third"))
    point.subscribe("first", lambda calls: calls.append("first"))
    calls: list[str] = []
    point.publish(calls)
    assert calls == ["first", "third"]


def test_a_subscriber_the_point_does_not_declare_is_refused():
    point: ExtensionPoint[None] = ExtensionPoint("example", order=("segments",))
    with pytest.raises(ImproperlyConfigured, match="not among the subscribers"):
        point.subscribe("triggers", lambda payload: None)

    def handler(payload):
        return None

    point.subscribe("segments", handler)
    point.subscribe("segments", handler)  # AppConfig.ready may run twice in tests
    with pytest.raises(ImproperlyConfigured, match="already subscribes"):
        point.subscribe("segments", lambda payload: None)


def test_the_apps_subscribe_to_the_cross_layer_points():
    assert set(ORG_UNIT_CREATED._handlers) == {"scoring"}
    assert set(SCORED_BATCH._handlers) == {"segments", "triggers"}
    assert set(DECAY_APPLIED._handlers) == {"segments", "triggers"}
    for point in (
        LEAD_METADATA_CHANGED,
        LEADS_MERGED,
        LEADS_DELETING,
        LEADS_RESCORED,
        SCORE_BASIS_CHANGED,
    ):
        assert set(point._handlers) == {"segments"}
    assert set(MEMBERSHIP_CHANGED._handlers) == {"triggers"}
