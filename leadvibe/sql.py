"""Raw SQL that the ORM does not say in one statement: many rows inserted or upserted at once,
transaction-scoped advisory locks, and jsonb values read through a raw cursor.

Tables and columns come from the models (`_meta.db_table`, each field's column and database
type), never from hand-written names, so a renamed table or column cannot leave a statement
behind. Values are always bound parameters; only names taken from the models are formatted
into the SQL.

Rows travel as one JSON document unpacked by `jsonb_to_recordset`: psycopg adapts big Python
arrays element by element, `json.dumps` does it in C. Upserted rows are written in the order
of their conflict columns, so that concurrent writers lock existing rows in the same order
and never wait on each other in a cycle.
"""

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models


def rows_upsert(
    model: type[models.Model],
    *,
    rows: Sequence[Mapping[str, Any]],
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    only_changed: bool = False,
    now: Collection[str] = (),
) -> int:
    """Insert `rows` (dicts keyed by column names: `lead_id`, not `lead`) into the model's
    table in one statement; returns how many rows were inserted or updated.

    - `conflict`: the columns of a unique constraint; a row that meets an existing one then
      updates the `update` columns of it, or is skipped (`ON CONFLICT DO NOTHING`) when
      `update` is empty. Without `conflict` every row is inserted.
    - `only_changed`: update only rows whose updated values differ (the `now` columns apart),
      so unchanged rows are neither written nor counted.
    - `now`: columns set to the statement's `now()` rather than taken from the rows.
    """
    if not rows:
        return 0
    fields = {field.column: field for field in model._meta.concrete_fields}
    given = [column for column in rows[0] if column not in now]
    unknown = [column for column in [*given, *now, *conflict, *update] if column not in fields]
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {unknown}")
    record = ", ".join(f"{column} {fields[column].db_type(connection)}" for column in given)
    values = [f"v.{column}" for column in given] + ["now()" for _ in now]
    table = model._meta.db_table
    sql = (
        f"INSERT INTO {table} ({', '.join([*given, *now])}) "  # noqa: S608 - model names
        f"SELECT {', '.join(values)} FROM jsonb_to_recordset(%s::jsonb) AS v({record})"
    )
    if conflict:
        sql += f" ORDER BY {', '.join(f'v.{column}' for column in conflict)}"
        sql += f" ON CONFLICT ({', '.join(conflict)}) "
        if update:
            sql += "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in update)
            compared = [column for column in update if column not in now]
            if only_changed and compared:
                stored = ", ".join(f"{table}.{column}" for column in compared)
                excluded = ", ".join(f"EXCLUDED.{column}" for column in compared)
                sql += f" WHERE ({stored}) IS DISTINCT FROM ({excluded})"
        else:
            sql += "DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, cls=DjangoJSONEncoder)])
        return int(cursor.rowcount)


def advisory_xact_lock(*, namespace: int, key: str) -> None:
    """Wait for the advisory lock named (`namespace`, `key`), held until the caller's
    transaction ends. Namespaces keep the locks of different purposes apart."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [namespace, key])


def jsonb_loaded(value: Any) -> Any:
    """A jsonb value read through a raw cursor, decoded: Django's loader hands jsonb over as
    text (its JSONField parses it), while a value built in Python is already decoded."""
    return json.loads(value) if isinstance(value, str) else value
