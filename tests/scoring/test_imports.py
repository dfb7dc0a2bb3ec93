"""POST /events/import and GET /events/imports/{id} as an API client meets them; the import
itself runs through its Celery task, called in the test's process."""

import csv
import datetime
import io
import json
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from leadvibe.tasks import job_run_task, jobs_sweep_task
from scoring.ingestion.services import imports
from scoring.models import EngagementEvent, ImportJob, Lead, LeadAlias
from scoring.services.leads import lead_create
from tests.api_clients import basic_client_for
from tests.factories import make_credential

pytestmark = pytest.mark.django_db

HEADER = ["event_type", "lead_id", "timestamp", "metadata", "email", "phone", "cookie"]


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.IMPORT_STORAGE_DIR = tmp_path / "imports"
    return settings.IMPORT_STORAGE_DIR


def csv_bytes(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client, data: bytes, name="events.csv"):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post("/api/v1/events/import", {"file": file}, format="multipart")


def imported(client, data: bytes) -> dict:
    """Upload, run the job as the worker would, and return the job as GET shows it."""
    response = upload(client, data)
    assert response.status_code == 202, response.content
    job_run_task("import", response.json()["id"])
    return job_of(client, response.json()["id"])


def job_of(client, job_id) -> dict:
    response = client.get(f"/api/v1/events/imports/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


# --- The 10,000-row file ----------------------------------------------------------------------

BAD_KINDS = [
    # (column reported, cells that break the row)
    ("timestamp", {"timestamp": "yesterday"}),
    ("metadata", {"metadata": "[1, 2]"}),
    ("metadata", {"metadata": "{oops"}),
    ("event_type", {"event_type": ""}),
    ("lead_id", {"email": "", "phone": ""}),
    ("lead_id", {"lead_id": "nobody", "email": "", "phone": ""}),
    ("metadata", {"metadata": json.dumps({"blob": "x" * 110_000})}),
    ("timestamp", {"timestamp": "2999-01-01T00:00:00Z"}),
    # user5's email belongs to user5's lead, not to known-1.
    ("email", {"lead_id": "known-1", "email": "user5@example.com", "phone": ""}),
    ("event_type", {"event_type": "x" * 101}),
]


def big_file() -> tuple[bytes, dict[int, str], dict[str, int]]:
    """10,000 rows over 2,000 email leads (a phone on every third row) and 5 leads named by
    id (every 47th row); 50 rows are bad, 5 of each kind above. Returns the file, {bad row:
    column} and what the good rows hold."""
    rows, bad = [], {}
    emails, phones, named = set(), set(), 0
    for n in range(10_000):
        k = n % 2000
        row = {
            "event_type": ["page_view", "email_open", "form_submit"][n % 3],
            "lead_id": "",
            "timestamp": ["", "2025-08-15T12:00:00Z", "2025-08-15T14:00:00+02:00"][n % 3],
            "metadata": json.dumps({"n": n, "channel": "webinar" if n % 7 == 0 else "web"}),
            "email": f" User{k}@Example.COM" if n % 2 else f"user{k}@example.com",
            "phone": f"+1 (555) {k:04d}" if n % 3 == 0 else "",
            "cookie": "",
        }
        if n % 47 == 7:
            row.update(lead_id=f"known-{n % 5}", email="", phone="", cookie=f"ck-{n}")
        if n % 200 == 13:
            column, cells = BAD_KINDS[(n // 200) % len(BAD_KINDS)]
            row.update(cells)
            bad[n + 2] = column  # the header is row 1
        elif row["lead_id"]:
            named += 1
        else:
            emails.add(k)
            phones.update([k] if row["phone"] else [])
        rows.append([row[name] for name in HEADER])
    return csv_bytes(rows), bad, {"emails": len(emails), "phones": len(phones), "named": named}


def test_a_10000_row_file_stores_every_good_row_and_reports_the_bad_ones(client, ou):
    for n in range(5):
        lead_create(ou=ou, lead_id=f"known-{n}", metadata={})
    data, bad, good = big_file()

    accepted = upload(client, data, name="august.csv")
    assert accepted.status_code == 202, accepted.content
    body = accepted.json()
    assert body["message"] == "import queued"
    assert body["id"].startswith("imp_")
    assert body["status"] == "pending"
    assert body["file_name"] == "august.csv"
    assert (body["rows_total"], body["rows_done"], body["progress"]) == (None, 0, 0.0)

    job_run_task("import", body["id"])
    job = job_of(client, body["id"])
    assert job["status"] == "completed"
    assert job["rows_total"] == 10_000
    assert job["rows_done"] == 10_000
    assert job["rows_failed"] == 50
    assert job["rows_succeeded"] == 9950
    assert job["progress"] == 1.0
    assert job["failure"] == ""
    assert job["ignored_columns"] == []
    assert job["started_at"].endswith("Z")
    assert job["finished_at"].endswith("Z")
    assert {e["row"]: e["column"] for e in job["errors"]} == bad
    assert [e["row"] for e in job["errors"]] == sorted(bad)
    message = {e["row"]: e["message"] for e in job["errors"]}
    assert "RFC 3339" in message[15]
    assert message[1015] == "Lead 'nobody' not found"
    assert message[1215] == "metadata is larger than 102400 bytes"
    assert message[1615] == "An alias sent with lead_id belongs to another lead"

    events = EngagementEvent.objects.for_ou(ou)
    assert events.count() == 9950
    assert set(events.values_list("source", "status").distinct()) == {("csv", "pending")}
    # Every email made one lead, which also got its phone; rows named by id went to theirs.
    assert good["emails"] > 1900
    assert Lead.objects.for_ou(ou).count() == 5 + good["emails"]
    assert LeadAlias.objects.for_ou(ou).filter(kind="email").count() == good["emails"]
    assert LeadAlias.objects.for_ou(ou).filter(kind="phone").count() == good["phones"]
    lead = LeadAlias.objects.unscoped().get(unit=ou, normalized_value="user9@example.com").lead
    assert set(lead.aliases.values_list("kind", "normalized_value")) == {
        ("email", "user9@example.com"),
        ("phone", "+15550009"),
    }
    assert events.filter(lead=lead).count() == 5
    assert (
        LeadAlias.objects.unscoped().get(unit=ou, normalized_value="ck-7").lead.lead_id == "known-2"
    )
    assert events.filter(lead__lead_id__startswith="known-").count() == good["named"]

    by_row = {e.metadata["n"]: e for e in events.filter(metadata__n__in=[0, 1, 2, 7])}
    assert by_row[1].occurred_at == datetime.datetime(2025, 8, 15, 12, tzinfo=datetime.UTC)
    assert by_row[2].occurred_at == datetime.datetime(2025, 8, 15, 12, tzinfo=datetime.UTC)
    assert abs(by_row[0].occurred_at - timezone.now()) < datetime.timedelta(minutes=5)
    assert (by_row[0].channel, by_row[1].channel, by_row[7].channel) == (
        "webinar",
        "web",
        "webinar",
    )
    assert by_row[2].event_type == "form_submit"


# --- Same leads as the event API ----------------------------------------------------------------

ALIAS_POOLS = {
    "external_id": [f"crm-{n}" for n in range(4)],
    "email": ["a@x.test", " A@X.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"],
    "phone": ["+1 555 0101", "15550101", "+1 (555) 0102", "+1 555 0103", "+44 20 0104"],
    "cookie": [f"ck-{n}" for n in range(5)],
    "social": ["@ann", "@bob"],
}
EQUIVALENCE_HEADER = ["event_type", "lead_id", "metadata", *imports.ALIAS_COLUMNS]


def random_rows(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        row = {"n": n, "lead_id": "", "aliases": {}}
        if rng.random() < 0.15:
            row["lead_id"] = rng.choice(["known-0", "known-1", "nobody"])
        for kind, pool in ALIAS_POOLS.items():
            if rng.random() < 0.3:
                row["aliases"][kind] = rng.choice(pool)
        if not row["lead_id"] and not row["aliases"]:
            row["aliases"]["cookie"] = rng.choice(ALIAS_POOLS["cookie"])
        rows.append(row)
    return rows


def outcome(ou) -> tuple[dict, set]:
    """What resolution made of the rows, free of generated lead ids: for each stored event
    (by its row) the aliases its lead ended with, or the lead's id when the client chose it;
    and each lead's aliases."""
    aliases: dict[int, frozenset] = {}
    for lead_pk, kind, value in LeadAlias.objects.for_ou(ou).values_list(
        "lead_id", "kind", "normalized_value"
    ):
        aliases[lead_pk] = aliases.get(lead_pk, frozenset()) | {(kind, value)}
    events = {}
    for n, lead_pk, lead_id in EngagementEvent.objects.for_ou(ou).values_list(
        "metadata__n", "lead_id", "lead__lead_id"
    ):
        events[n] = lead_id if lead_id.startswith("known-") else aliases.get(lead_pk)
    return events, set(aliases.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_leads_are_resolved_as_the_event_api_resolves_them(client, ou, monkeypatch, seed):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 7)  # many chunks: rows depend on earlier ones
    api_credential = make_credential()
    api_client, api_ou = basic_client_for(api_credential), api_credential.credential.unit
    for unit in (ou, api_ou):
        lead_create(ou=unit, lead_id="known-0", metadata={})
        lead_create(ou=unit, lead_id="known-1", metadata={})
    rows = random_rows(150, seed)

    refused_by_api = set()
    for row in rows:
        body = {"event_type": "page_view", "metadata": {"n": row["n"]}}
        if row["lead_id"]:
            body["lead_id"] = row["lead_id"]
        body["aliases"] = [{"alias_kind": k, "raw_value": v} for k, v in row["aliases"].items()]
        response = api_client.post("/api/v1/events", body, format="json")
        if response.status_code != 202:
            assert response.status_code in (404, 409), response.content
            refused_by_api.add(row["n"])

    data = csv_bytes(
        [
            ["page_view", row["lead_id"], json.dumps({"n": row["n"]})]
            + [row["aliases"].get(kind, "") for kind in imports.ALIAS_COLUMNS]
            for row in rows
        ],
        header=EQUIVALENCE_HEADER,
    )
    job = imported(client, data)
    assert job["status"] == "completed"
    assert {e["row"] - 2 for e in job["errors"]} == refused_by_api
    assert job["rows_failed"] == len(refused_by_api)
    assert outcome(ou) == outcome(api_ou)


# --- Refused uploads ------------------------------------------------------------------------


def assert_refused(response, message_part: str, storage):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400
    assert message_part in " ".join(body["details"]["file"])
    assert not ImportJob.objects.unscoped().exists()
    assert not storage.exists() or not any(storage.iterdir())


def test_a_request_without_a_file_is_refused(client, storage):
    response = client.post("/api/v1/events/import", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["details"]
    assert not ImportJob.objects.unscoped().exists()


def test_a_file_that_is_not_utf8_is_refused(client, storage):
    data = "event_type,email\npage_view,zoë@x.test\n".encode("latin-1")
    assert_refused(upload(client, data), "not UTF-8", storage)


def test_a_file_ending_inside_a_utf8_character_is_refused(client, storage):
    data = "event_type,email\npage_view,zoë@x.test".encode()[:-10]
    assert_refused(upload(client, data + "ë".encode()[:1]), "not UTF-8", storage)


def test_a_header_without_event_type_is_refused(client, storage):
    data = csv_bytes([["a@x.test"]], header=["email"])
    assert_refused(upload(client, data), "no event_type column", storage)


def test_a_header_naming_a_column_twice_is_refused(client, storage):
    data = csv_bytes([["x", "a@x.test", "b@x.test"]], header=["event_type", "email", "Email"])
    assert_refused(upload(client, data), "appears twice", storage)


def test_a_file_over_the_size_limit_is_refused(client, settings, storage):
    settings.IMPORT_MAX_FILE_BYTES = 100
    data = csv_bytes([["page_view", "", "", "", f"user{n}@x.test", "", ""] for n in range(10)])
    assert_refused(upload(client, data), "larger than 100 bytes", storage)


def test_a_body_over_the_routes_limit_is_refused_before_it_is_read(client, settings, storage):
    settings.REQUEST_BODY_LIMITS_BY_PATH = {"/api/v1/events/import": 1000}
    data = csv_bytes([["page_view", "", "", "", f"user{n}@x.test", "", ""] for n in range(100)])
    response = upload(client, data)
    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert not ImportJob.objects.unscoped().exists()


# --- File format ----------------------------------------------------------------------------


def test_bom_header_case_ignored_columns_blank_lines_and_multiline_cells(client, ou):
    data = (
        "\ufeffEvent_Type, EMAIL ,campaign,Phone\n"
        "page_view,a@x.test,summer\n"  # shorter than the header: phone is empty
        "\n"
        'email_open,a@x.test,"two\nlines",+1 555 0100\n'
        ",a@x.test,summer,\n"
    ).encode()
    job = imported(client, data)
    assert job["status"] == "completed"
    assert job["ignored_columns"] == ["campaign"]
    # Blank lines are not rows to import, but a spreadsheet still counts them.
    assert (job["rows_total"], job["rows_done"], job["rows_failed"]) == (3, 3, 1)
    assert job["errors"] == [
        {"row": 1, "column": "campaign", "message": "Unknown column: ignored."},
        {"row": 5, "column": "event_type", "message": "Must be 1 to 100 printable characters."},
    ]
    lead = LeadAlias.objects.unscoped().get(unit=ou, kind="email").lead
    assert set(lead.aliases.values_list("kind", "normalized_value")) == {
        ("email", "a@x.test"),
        ("phone", "+15550100"),
    }
    assert sorted(
        EngagementEvent.objects.unscoped().filter(lead=lead).values_list("event_type", "channel")
    ) == [
        ("email_open", "email"),
        ("page_view", "web"),
    ]


def email_row(event_type: str, **cells: str) -> list[str]:
    """A row of `event_type` for a@x.test with `cells` (by header name) filled in."""
    row = dict.fromkeys(HEADER, "") | {"event_type": event_type, "email": "a@x.test"} | cells
    return [row[name] for name in HEADER]


def test_metadata_that_json_reads_but_postgres_would_refuse_is_a_row_error(client, ou):
    refused_metadata = ['{"v": NaN}', '{"v": 1e999}', '{"v": "\\u0000"}', '{"v": "\\ud800"}']
    rows = [
        *(
            email_row(name, metadata=cell)
            for name, cell in zip("abcd", refused_metadata, strict=True)
        ),
        email_row("e", metadata='{"v": "\\\\u0000 is text", "w": "\\u00e9"}'),
        email_row("f", lead_id="\x00", email=""),
        email_row("g", email="", cookie="ck\x00"),
    ]
    job = imported(client, csv_bytes(rows))
    assert job["status"] == "completed"
    assert [(e["row"], e["column"]) for e in job["errors"]] == [
        *((row, "metadata") for row in (2, 3, 4, 5)), (7, "lead_id"), (8, "cookie"),
    ]  # fmt: skip
    stored = EngagementEvent.objects.unscoped().get(unit=ou)
    assert stored.metadata == {"v": "\\u0000 is text", "w": "é"}


def test_a_timestamp_out_of_range_is_one_row_error_and_the_other_rows_are_stored(client, ou):
    stamps = [
        "2025-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",
    ]
    job = imported(
        client,
        csv_bytes([email_row(n, timestamp=t) for n, t in zip("abcdef", stamps, strict=True)]),
    )
    assert job["status"] == "completed"
    assert (job["rows_succeeded"], job["rows_failed"]) == (2, 4)
    assert [(e["row"], e["column"]) for e in job["errors"]] == [
        (r, "timestamp") for r in (3, 4, 5, 6)
    ]
    assert all("1970-01-01T00:00:00Z" in e["message"] for e in job["errors"])
    stored = EngagementEvent.objects.for_ou(ou).values_list("event_type", flat=True)
    assert sorted(stored) == ["a", "f"]


# --- Progress, failures and recovery -----------------------------------------------------------


def numbered_rows(count: int) -> bytes:
    return csv_bytes(
        [
            ["page_view", "", "", json.dumps({"n": n}), f"u{n % 9}@x.test", "", ""]
            for n in range(count)
        ]
    )


def test_progress_moves_while_the_job_runs(client, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    seen = []
    chunk_import = imports._chunk_import

    def watched(**kwargs):
        chunk_import(**kwargs)
        seen.append(job_of(client, kwargs["job"].id))

    monkeypatch.setattr(imports, "_chunk_import", watched)
    job = imported(client, numbered_rows(35))
    assert [(j["status"], j["rows_done"], j["progress"]) for j in seen] == [
        ("running", 10, 0.2857),
        ("running", 20, 0.5714),
        ("running", 30, 0.8571),
        ("running", 35, 1.0),
    ]
    assert all(j["rows_total"] == 35 and j["finished_at"] is None for j in seen)
    assert (job["status"], job["progress"]) == ("completed", 1.0)


def test_a_job_whose_worker_died_is_resumed_without_storing_rows_twice(client, ou, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    rows_store = imports.events_store
    calls = []

    def dies_on_the_third_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return rows_store(**kwargs)

    monkeypatch.setattr(imports, "events_store", dies_on_the_third_chunk)
    job_id = upload(client, numbered_rows(45)).json()["id"]
    with pytest.raises(SystemExit):
        job_run_task("import", job_id)
    job = job_of(client, job_id)
    assert (job["status"], job["rows_done"]) == ("running", 20)

    jobs_sweep_task()
    job = job_of(client, job_id)
    assert (job["status"], job["rows_done"], job["rows_failed"]) == ("completed", 45, 0)
    stored = sorted(EngagementEvent.objects.for_ou(ou).values_list("metadata__n", flat=True))
    assert stored == list(range(45))


def test_an_internal_error_fails_the_job_and_removes_the_file(client, monkeypatch, storage):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(imports, "events_store", broken)
    job = imported(client, numbered_rows(3))
    assert job["status"] == "failed"
    assert job["failure"] == "The import stopped on an internal error (RuntimeError)."
    assert job["finished_at"]
    assert not any(storage.iterdir())


def test_with_redis_down_the_job_waits_for_the_sweep(
    client, ou, unreachable_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, numbered_rows(3))
    assert response.status_code == 202
    job_id = response.json()["id"]

    jobs_sweep_task()  # younger than a minute: its task may still come
    assert job_of(client, job_id)["status"] == "pending"

    ImportJob.objects.unscoped().filter(id=job_id).update(
        created_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    jobs_sweep_task()
    assert job_of(client, job_id)["status"] == "completed"
    assert EngagementEvent.objects.for_ou(ou).count() == 3


def test_a_finished_job_is_not_run_again(client, ou):
    job_id = imported(client, numbered_rows(3))["id"]
    job_run_task("import", job_id)
    assert EngagementEvent.objects.for_ou(ou).count() == 3


def test_an_import_of_another_ou_is_not_found(client):
    other = basic_client_for(make_credential())
    job_id = upload(other, numbered_rows(1)).json()["id"]
    response = client.get(f"/api/v1/events/imports/{job_id}")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "error": "Not Found"}
    assert client.get("/api/v1/events/imports/imp_nothing").status_code == 404
