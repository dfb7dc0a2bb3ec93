"""One task decorator (leadvibe.task_decorator): every task of the project is declared
through it, routed by the queue it declares and measured."""

import importlib
import importlib.util

import pytest
from celery import current_app

from leadvibe.metrics import TASK_DURATION, TASK_RUNS
from leadvibe.task_decorator import instrumented_task, task_queue_route

PROJECT_APPS = ("leadvibe", "orgunits", "scoring", "segments", "triggers", "demo")


def project_tasks() -> dict:
    for app in PROJECT_APPS:
        if importlib.util.find_spec(f"{app}.tasks"):
            importlib.import_module(f"{app}.tasks")
    return {name: task for name, task in current_app.tasks.items() if name.startswith(PROJECT_APPS)}


def test_every_task_of_the_project_is_an_instrumented_task():
    tasks = project_tasks()
    assert "leadvibe.tasks.job_run_task" in tasks
    for name, task in tasks.items():
        assert getattr(task, "instrumented", False), name
        assert (task.acks_late, task.ignore_result) == (True, True), name
        assert 0 < task.soft_time_limit < task.time_limit, name


def test_tasks_are_routed_to_the_queue_they_declare_even_when_not_imported():
    assert task_queue_route("triggers.tasks.deliver_due_task") == {"queue": "deliveries"}
    assert task_queue_route("scoring.tasks.decay_sweep_task") == {"queue": "celery"}


def test_a_run_is_counted_by_outcome_and_timed():
    @instrumented_task(name="tests.platform.test_task_decorator.flaky")
    def flaky(fail: bool) -> str:
        if fail:
            raise ValueError("no")
        return "yes"

    def runs(outcome: str) -> float:
        return TASK_RUNS.labels(task=flaky.name, outcome=outcome)._value.get()

    assert flaky(False) == "yes"
    with pytest.raises(ValueError, match="no"):
        flaky(True)
    assert (runs("succeeded"), runs("failed")) == (1, 1)
    assert TASK_DURATION.labels(task=flaky.name)._sum.get() >= 0
