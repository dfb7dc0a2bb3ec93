"""CSV import of engagement events: the upload (web process) and the run (worker).

Upload: the file is copied to IMPORT_STORAGE_DIR while its UTF-8 is checked chunk by chunk,
and its header row must name an `event_type` column; only then is a pending ImportJob
committed and enqueued (a durable job, leadvibe.jobs). A refused file leaves nothing behind.
If Redis is down the job stays pending and the periodic sweep runs it.

Run: data rows are read in chunks. Each row is checked with the rules of the event API
(`event_prepare`); each chunk is stored by `events_store` (leads resolved in bulk as if the
rows came one by one, events written with COPY) in one transaction with the job's progress
(the heartbeat). So progress moves while the job runs, and a job whose worker died resumes
after `progress_done` rows with nothing stored twice.

Reporting: `row` is the row number a spreadsheet shows: the header is row 1, the first data
row is row 2, a quoted cell spanning lines stays one row. Blank lines are skipped and not
counted. `progress_done` (`rows_done` in the API) counts processed data rows, failed ones
included; `rows_failed` those that became errors, of which the first `ImportJob.MAX_ERRORS`
are kept. Unknown columns are ignored; they are listed as errors of row 1 (the header), not
counted as failed rows.
"""

import codecs
import csv
import datetime
import json
import logging
import math
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from leadvibe.exceptions import ApplicationError, NotFoundError, PayloadTooLargeError
from leadvibe.jobs import Heartbeat, JobAttemptsExhausted, JobHandler, job_enqueue
from leadvibe.json_depth import json_parse
from leadvibe.metrics import EVENTS_INGESTED
from leadvibe.timefmt import TimestampOutOfRange, parse_rfc3339
from orgunits.models import Member, OrgUnit
from scoring.ingestion.services.event_store import PreparedEvent, events_store, run_retrying_races
from scoring.ingestion.services.events import (
    TIMESTAMP_BOUNDS,
    EventInput,
    EventValidationError,
    event_prepare,
    metadata_encode,
)
from scoring.models import EngagementEvent, ImportJob, LeadAlias
from scoring.services.leads import AliasInput
from scoring.services.pipeline import ring_doorbell

logger = logging.getLogger(__name__)

# Alias columns in resolution priority order (external_id first).
ALIAS_COLUMNS: tuple[str, ...] = tuple(LeadAlias.PRIORITY)
COLUMNS = ("event_type", "lead_id", "timestamp", "metadata", *ALIAS_COLUMNS)
IGNORED_COLUMN = "Unknown column: ignored."
CHUNK_ROWS = 2000
# A chunk also ends after this many characters of cells, so that rows with large metadata
# keep a chunk's memory bounded.
CHUNK_CHARS = 8 * 1024 * 1024
COPY_BYTES = 1024 * 1024
# Rows the parsing thread checks between offers of the GIL to the database thread.
PARSE_SLICE = 64
_TIMESTAMP_MESSAGE = "Must be an RFC 3339 timestamp with an offset, e.g. 2025-08-15T12:00:00Z."


# --- Upload -------------------------------------------------------------------------------


def import_job_create(*, ou: OrgUnit, created_by: Member | None, upload: File) -> ImportJob:
    """Store the upload and queue its import; ApplicationError (400) for a refused file."""
    limit = settings.IMPORT_MAX_FILE_BYTES
    if upload.size > limit:
        raise _file_error(f"The file is larger than {limit} bytes.")
    directory = Path(settings.IMPORT_STORAGE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    try:
        _store_utf8(upload, path, limit=limit)
        with path.open(encoding="utf-8-sig", newline="") as text:
            _, ignored = _header_read(csv.reader(text))
        with transaction.atomic():
            job = ImportJob.objects.create(
                org_id=ou.org_id,
                unit=ou,
                created_by=created_by,
                file_name=Path(upload.name or "events.csv").name[:255],
                # Relative to IMPORT_STORAGE_DIR: web and worker may mount it differently.
                file_path=path.name,
                errors=[_error(1, name, IGNORED_COLUMN) for name in ignored][
                    : ImportJob.MAX_ERRORS
                ],
            )
            job_enqueue(job)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def _store_utf8(upload: File, path: Path, *, limit: int) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    with path.open("xb") as out:
        for chunk in upload.chunks(COPY_BYTES):
            if size + len(chunk) > limit:
                raise _file_error(f"The file is larger than {limit} bytes.")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _file_error(
                    f"The file is not UTF-8 text (near byte {size + exc.start})."
                ) from None
            size += len(chunk)
            out.write(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _file_error("The file is not UTF-8 text (it ends inside a character).") from None


def _header_read(reader) -> tuple[dict[str, int], list[str]]:
    """`({known column: index}, [ignored column names])` of the header row."""
    try:
        names = next(reader, None)
    except csv.Error as exc:
        raise _file_error(f"The header row cannot be read: {exc}.") from None
    if not names:
        raise _file_error("The first line must be the header row, with an event_type column.")
    columns: dict[str, int] = {}
    ignored = []
    for index, raw in enumerate(names):
        name = raw.strip().lower()
        if name in columns:
            raise _file_error(f"The column {name} appears twice in the header row.")
        if name in COLUMNS:
            columns[name] = index
        elif name:
            ignored.append(raw.strip())
    if "event_type" not in columns:
        raise _file_error("The header row has no event_type column.")
    return columns, ignored


def _file_error(message: str) -> ApplicationError:
    return ApplicationError(message, details={"file": [message]})


# --- Reads --------------------------------------------------------------------------------


def import_job_get(*, ou: OrgUnit, job_id: str) -> ImportJob:
    job = ImportJob.objects.for_ou(ou).filter(id=job_id).first()
    if job is None:
        raise NotFoundError()
    return job


def import_job_ignored_columns(job: ImportJob) -> list[str]:
    return [e["column"] for e in job.errors if e["row"] == 1 and e["message"] == IGNORED_COLUMN]


# --- Run ----------------------------------------------------------------------------------


class ImportJobHandler(JobHandler[ImportJob]):
    """Runs a pending job, or resumes one whose worker died. An unexpected error fails the
    job; rows of chunks committed before it stay stored."""

    kind = "import"
    model = ImportJob
    # A pending job's task may still come this long after the upload.
    pending_grace = datetime.timedelta(minutes=1)

    def run(self, job: ImportJob, heartbeat: Heartbeat) -> None:
        path = _storage_path(job)
        if job.progress_total is None:
            heartbeat(progress_total=_rows_count(path))
        with path.open(encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            columns, _ = _header_read(reader)
            rows = _data_rows(reader)
            for _ in range(job.progress_done):  # resuming: these were stored before
                next(rows)
            for parsed in _parsed_ahead(_chunks(rows), _Layout.of(columns)):
                _chunk_import(job=job, parsed=parsed, heartbeat=heartbeat)
        path.unlink(missing_ok=True)

    def failure_message(self, job: ImportJob, exc: Exception) -> str:
        if isinstance(exc, JobAttemptsExhausted):
            return f"The import stopped: {exc}"
        return f"The import stopped on an internal error ({type(exc).__name__})."

    def on_failed(self, job: ImportJob) -> None:
        _storage_path(job).unlink(missing_ok=True)


def _storage_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_STORAGE_DIR) / job.file_path


# (row number, cells, or None and the reason the row could not be read)
RawRow = tuple[int, list[str] | None, str | None]


def _data_rows(reader) -> Iterator[RawRow]:
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, None, str(exc)
            continue
        if cells:
            yield number, cells, None


def _rows_count(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        next(reader, None)
        return sum(1 for _ in _data_rows(reader))


def _chunks(rows: Iterable[RawRow]) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    chars = 0
    for row in rows:
        chunk.append(row)
        if row[1] is not None:
            chars += sum(map(len, row[1]))
        if len(chunk) >= CHUNK_ROWS or chars >= CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


@dataclass
class _Parsed:
    """A chunk's rows, checked: the good ones and the errors of the others."""

    size: int
    rows: list[PreparedEvent]
    errors: list[dict]
    now: datetime.datetime


def _parsed_ahead(chunks: Iterator[list[RawRow]], layout: "_Layout") -> Iterator[_Parsed]:
    """The chunks parsed in a thread, one ahead, so that reading and checking rows overlaps
    the database's work on the previous chunk. The thread touches no database."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def parse() -> None:
        try:
            for chunk in chunks:
                parsed = _Parsed(len(chunk), [], [], timezone.now())
                for start in range(0, len(chunk), PARSE_SLICE):
                    rows, errors = _rows_parse(
                        chunk[start : start + PARSE_SLICE], layout, now=parsed.now
                    )
                    parsed.rows += rows
                    parsed.errors += errors
                    # Hands the GIL to the database thread as soon as its reply is in.
                    time.sleep(0)
                hand_over(parsed)
                if stop.is_set():
                    return
            hand_over(None)
        except BaseException as exc:  # handed to the caller, which raises it
            hand_over(exc)

    thread = threading.Thread(target=parse, name="csv-import-parse", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _chunk_import(*, job: ImportJob, parsed: _Parsed, heartbeat: Heartbeat) -> None:
    def store() -> None:
        with transaction.atomic():
            stored, refused = events_store(
                ou=job.unit, events=parsed.rows, now=parsed.now, copy=True
            )
            errors = [_error(r.prepared.position, r.field, r.error.message) for r in refused]
            _progress_save(job, heartbeat, processed=parsed.size, errors=parsed.errors + errors)
            if stored:
                transaction.on_commit(partial(_events_accepted, len(stored)))

    run_retrying_races(job.unit, store)


def _events_accepted(count: int) -> None:
    EVENTS_INGESTED.inc(count)
    ring_doorbell()


def _progress_save(
    job: ImportJob, heartbeat: Heartbeat, *, processed: int, errors: list[dict]
) -> None:
    errors.sort(key=lambda error: error["row"])
    heartbeat(
        progress_done=job.progress_done + processed,
        rows_failed=job.rows_failed + len(errors),
        errors=job.errors + errors[: max(ImportJob.MAX_ERRORS - len(job.errors), 0)],
    )


def _error(row: int, column: str | None, message: str) -> dict:
    return {"row": row, "column": column, "message": message}


# --- Rows: parse and check ----------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where the known columns are in a row; None for a column the file does not have."""

    event_type: int
    lead_id: int | None
    timestamp: int | None
    metadata: int | None
    aliases: tuple[tuple[str, int], ...]
    # Shorter rows are padded to this many cells.
    width: int

    @classmethod
    def of(cls, columns: dict[str, int]) -> "_Layout":
        return cls(
            event_type=columns["event_type"],
            lead_id=columns.get("lead_id"),
            timestamp=columns.get("timestamp"),
            metadata=columns.get("metadata"),
            aliases=tuple((kind, columns[kind]) for kind in ALIAS_COLUMNS if kind in columns),
            width=max(columns.values()) + 1,
        )


def _rows_parse(
    chunk: list[RawRow], layout: _Layout, *, now: datetime.datetime
) -> tuple[list[PreparedEvent], list[dict]]:
    rows, errors = [], []
    for number, cells, unreadable in chunk:
        if cells is None:
            errors.append(_error(number, None, f"The row cannot be read: {unreadable}."))
            continue
        if len(cells) < layout.width:
            cells += [""] * (layout.width - len(cells))
        try:
            rows.append(_row_parse(number, cells, layout, now=now))
        except EventValidationError as exc:
            errors.append(_error(number, exc.field, exc.message))
        except PayloadTooLargeError as exc:
            errors.append(_error(number, "metadata", exc.message))
    return rows, errors


def _row_parse(
    number: int, cells: list[str], layout: _Layout, *, now: datetime.datetime
) -> PreparedEvent:
    occurred_at = None
    if layout.timestamp is not None and cells[layout.timestamp].strip():
        try:
            occurred_at = parse_rfc3339(cells[layout.timestamp])
        except TimestampOutOfRange:
            raise EventValidationError("timestamp", TIMESTAMP_BOUNDS) from None
        except ValueError:
            raise EventValidationError("timestamp", _TIMESTAMP_MESSAGE) from None
    metadata, metadata_json = _metadata_parse(
        cells[layout.metadata] if layout.metadata is not None else ""
    )
    lead_id = cells[layout.lead_id].strip() if layout.lead_id is not None else ""
    event = EventInput(
        event_type=cells[layout.event_type],
        metadata=metadata,
        occurred_at=occurred_at,
        lead_id=lead_id or None,
        aliases=[AliasInput(kind, cells[index]) for kind, index in layout.aliases],
        source=EngagementEvent.Source.CSV,
    )
    return event_prepare(number, event, now=now, metadata_json=metadata_json)


def _metadata_parse(text: str) -> tuple[dict, str]:
    """The metadata cell as a dict and as the JSON text to store. Text without `\\u`
    escapes is stored as sent (jsonb parses it as json did); with them it is stored as json
    re-encodes it, so that the escapes jsonb refuses (NUL, lone surrogates) are seen."""
    if not text or text.isspace():
        return {}, "{}"
    try:
        metadata = json_parse(text, decoder=_JSON_DECODER)
    except ValueError as exc:
        raise EventValidationError("metadata", f"Not valid JSON: {exc}.") from None
    if type(metadata) is not dict:
        raise EventValidationError("metadata", "Must be a JSON object.")
    if "\\u" not in text:
        return metadata, text
    return metadata, metadata_encode(metadata)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


# NaN, infinities and numbers too large for a float are refused, as jsonb would.
_JSON_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
