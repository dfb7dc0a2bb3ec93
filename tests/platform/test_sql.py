"""leadvibe.sql: many rows upserted in one statement into the model's table, advisory locks
held until commit, jsonb read through a raw cursor."""

import threading

import pytest
from django.db import connection, transaction

from leadvibe.sql import advisory_xact_lock, jsonb_loaded, rows_upsert
from scoring.models import EventTypeSetting, Lead
from tests.factories import make_unit

SETTINGS_KEY = ["unit_id", "event_type"]


def setting_row(unit, event_type: str, *, hidden: bool) -> dict:
    return {
        "org_id": unit.org_id,
        "unit_id": unit.pk,
        "event_type": event_type,
        "hidden": hidden,
        "max_processing_scope": EventTypeSetting.Scope.ACTIVATE,
    }


def stored_settings(unit) -> dict[str, bool]:
    return dict(EventTypeSetting.objects.for_ou(unit).values_list("event_type", "hidden"))


@pytest.mark.django_db
def test_rows_are_inserted_then_updated_on_conflict():
    unit = make_unit()
    rows = [setting_row(unit, "visit", hidden=False), setting_row(unit, "signup", hidden=True)]
    upserted = rows_upsert(
        EventTypeSetting, rows=rows, conflict=SETTINGS_KEY, update=["hidden"], now={"updated_at"}
    )
    assert upserted == 2
    assert stored_settings(unit) == {"visit": False, "signup": True}

    rows = [setting_row(unit, "visit", hidden=True), setting_row(unit, "demo", hidden=False)]
    rows_upsert(
        EventTypeSetting, rows=rows, conflict=SETTINGS_KEY, update=["hidden"], now={"updated_at"}
    )
    assert stored_settings(unit) == {"visit": True, "signup": True, "demo": False}


@pytest.mark.django_db
def test_only_changed_rows_are_written_and_counted():
    unit = make_unit()
    rows = [setting_row(unit, "visit", hidden=False), setting_row(unit, "signup", hidden=False)]
    rows_upsert(EventTypeSetting, rows=rows, conflict=SETTINGS_KEY, now={"updated_at"})
    rows[1]["hidden"] = True
    changed = rows_upsert(
        EventTypeSetting,
        rows=rows,
        conflict=SETTINGS_KEY,
        update=["hidden", "updated_at"],
        only_changed=True,
        now={"updated_at"},
    )
    assert changed == 1
    assert stored_settings(unit) == {"visit": False, "signup": True}


@pytest.mark.django_db
def test_without_update_columns_existing_rows_are_kept():
    unit = make_unit()
    rows_upsert(
        EventTypeSetting,
        rows=[setting_row(unit, "visit", hidden=True)],
        conflict=SETTINGS_KEY,
        now={"updated_at"},
    )
    inserted = rows_upsert(
        EventTypeSetting,
        rows=[setting_row(unit, "visit", hidden=False)],
        conflict=SETTINGS_KEY,
        now={"updated_at"},
    )
    assert inserted == 0
    assert stored_settings(unit) == {"visit": True}


@pytest.mark.django_db
def test_a_column_the_model_does_not_have_is_refused_before_any_sql():
    unit = make_unit()
    with pytest.raises(ValueError, match="no columns"):
        rows_upsert(EventTypeSetting, rows=[{**setting_row(unit, "visit", hidden=False), "x": 1}])
    assert rows_upsert(EventTypeSetting, rows=[]) == 0


@pytest.mark.django_db
def test_jsonb_read_through_a_raw_cursor_comes_back_decoded():
    unit = make_unit()
    metadata = {"plan": "pro", "seats": 12, "tags": ["a", "b"], "nested": {"ok": True}}
    lead = Lead.objects.create(org_id=unit.org_id, unit=unit, lead_id="l1", metadata=metadata)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT metadata FROM {Lead._meta.db_table} WHERE id = %s", [lead.pk])  # noqa: S608
        (value,) = cursor.fetchone()
    assert jsonb_loaded(value) == metadata
    assert jsonb_loaded(metadata) == metadata


def lock_free_elsewhere(namespace: int, key: str) -> bool:
    """Whether another session can take the lock right now."""
    answers = []

    def probe():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [namespace, key])
                (taken,) = cursor.fetchone()
                if taken:
                    cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [namespace, key])
                answers.append(taken)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(30)
    return answers[0]


@pytest.mark.django_db(transaction=True)
def test_an_advisory_lock_is_held_until_the_transaction_ends():
    with transaction.atomic():
        advisory_xact_lock(namespace=7, key="ou_a")
        assert not lock_free_elsewhere(7, "ou_a")
        assert lock_free_elsewhere(7, "ou_b")
        assert lock_free_elsewhere(8, "ou_a")
    assert lock_free_elsewhere(7, "ou_a")
