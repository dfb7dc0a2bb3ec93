"""Model building blocks and transaction helpers shared by every app."""

import functools
import random
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg.errors
from django.db import OperationalError, connection, models, transaction

Result = TypeVar("Result")

# Runs of a transaction that keeps losing deadlocks, in all; then the error goes up.
CONFLICT_ATTEMPTS = 3
CONFLICT_BACKOFF_SECONDS = 0.05


def new_id(prefix: str) -> str:
    """A readable, unguessable id such as `ou_5f2c0e9b7d1a4c3e8f60a2b1`."""
    return f"{prefix}_{secrets.token_hex(12)}"


class PrefixedIdField(models.CharField):
    """Primary key of server-made ids with a readable prefix (`ev_`, `rs_`, ...)."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("editable", False)
        kwargs["default"] = functools.partial(new_id, prefix)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        kwargs.pop("default", None)
        return name, path, args, kwargs


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def keys_after(
    queryset: models.QuerySet[Any], after: Any, limit: int, *, key: str = "id"
) -> list[Any]:
    """The next `limit` values of `key` above `after`, ascending: a chunk of a walk in key
    order, which a resumed job continues from the last key it recorded."""
    rows = queryset.filter(**{f"{key}__gt": after}).order_by(key)
    return list(rows.values_list(key, flat=True)[:limit])


def lost_lock_conflict(error: Exception) -> bool:
    """PostgreSQL rolled the transaction back to break a deadlock (or a serialization
    failure): running it again may well succeed."""
    return isinstance(error, OperationalError) and isinstance(
        error.__cause__, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
    )


def atomic_retrying_conflicts(work: Callable[[], Result]) -> Result:
    """`work()` in a transaction, run again after a short random pause when it loses a
    deadlock, CONFLICT_ATTEMPTS runs in all. Inside a caller's transaction it runs once: only
    a whole transaction can be run again."""
    if not connection.in_atomic_block:
        for attempt in range(1, CONFLICT_ATTEMPTS):
            try:
                with transaction.atomic():
                    return work()
            except OperationalError as error:
                if not lost_lock_conflict(error):
                    raise
            time.sleep(random.uniform(0, CONFLICT_BACKOFF_SECONDS * attempt))  # noqa: S311
    with transaction.atomic():
        return work()
