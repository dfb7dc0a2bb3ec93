"""The development stack in one foreground command.

Starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset (settings do
that as they load), applies migrations, creates a demo organization on an empty database (with
`--demo`, seeded with the demo data set, which the worker then scores), then runs the web
server, the live-stream server (ASGI), one Celery worker and Celery beat. Ctrl-C (or SIGTERM)
stops every process it started, the embedded servers last.

The banner's two `curl` lines work as printed on the first start: one ingests an event for a
lead named by its email alias, the other reads that lead's score. With `--demo` the lead is a
seeded one; without, the first call creates it and the second names it as `LEAD_ID`. Emails
the triggers send are written to files in the data folder unless EMAIL_BACKEND is set.
"""

import contextlib
import io
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from leadvibe import embedded
from leadvibe.metrics_dir import reset_metrics_dir
from leadvibe.process_commands import (
    celery_beat_command,
    celery_worker_command,
    stream_server_command,
    web_server_command,
)

_READY_TIMEOUT_SECONDS = 90
_STOP_TIMEOUT_SECONDS = 20

DEMO_EMAIL = "admin@leadvibe.local"
# The first contact's lead when no demo data set names one.
FIRST_CONTACT_EMAIL = "ada@example.com"
_FILE_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


class Command(BaseCommand):
    help = "Run the whole stack (web, stream, Celery worker, beat) on embedded defaults."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--stream-port", type=int, default=int(os.environ.get("STREAM_PORT", "8001"))
        )
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument(
            "--demo",
            action="store_true",
            help="on the first start, seed the demo OU with the demo data set",
        )

    def handle(self, *args, port, stream_port, host, web_workers, demo, **options):
        self._stop_requested = False
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)

        reset_metrics_dir()
        call_command("migrate", interactive=False, verbosity=0)
        created = self._create_demo_data()
        sample_lead = (
            self._seed_demo_data(created["ou_id"]) if demo and created["created"] else None
        )

        children = self._start_children(
            host=host, port=port, stream_port=stream_port, web_workers=web_workers
        )
        try:
            local_host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
            base_url = f"http://{local_host}:{port}"
            stream_url = f"http://{local_host}:{stream_port}"
            self._wait_until_ready(f"{base_url}/readyz", children)
            self._wait_until_ready(f"{stream_url}/healthz", children)
            self._print_banner(base_url, stream_url, created, sample_lead)
            self._supervise(children)
        finally:
            _stop(children)
            self.stdout.write(
                "leadvibe: stopped web, stream, worker and beat; stopping embedded services"
            )

    def _request_stop(self, signum, frame):
        self._stop_requested = True

    def _create_demo_data(self) -> dict:
        output = io.StringIO()
        # Hex: a password starting with "-" would read as an option to `bootstrap`.
        password = secrets.token_hex(12)
        call_command(
            "bootstrap",
            org="Demo organization",
            ou="Default",
            email=DEMO_EMAIL,
            password=password,
            only_if_empty=True,
            stdout=output,
        )
        demo = json.loads(output.getvalue())
        # Generated for this first run and shown only now.
        demo["password"] = password
        return demo

    def _seed_demo_data(self, ou_id: str) -> dict:
        """The demo data set in the demo OU; returns the seeded lead the banner uses."""
        output = io.StringIO()
        call_command("seed_demo", ou=ou_id, stdout=output)
        seeded = json.loads(output.getvalue())
        counts = seeded["counts"]
        self.stdout.write(
            f"leadvibe: seeded the demo data set: {counts['leads']} leads, "
            f"{counts['accounts']} accounts, {counts['events']} events (the worker scores them)"
        )
        return seeded["sample_lead"]

    def _start_children(
        self, *, host, port, stream_port, web_workers
    ) -> dict[str, subprocess.Popen]:
        data_dir = embedded.default_data_dir().resolve()
        env = {**os.environ, "PORT": str(port), "LEADVIBE_KEEP_METRICS": "1"}
        if "EMAIL_BACKEND" not in env:
            env |= {"EMAIL_BACKEND": _FILE_EMAIL_BACKEND, "EMAIL_FILE_PATH": str(data_dir / "mail")}
        commands = {
            "web": web_server_command(bind=f"{host}:{port}", workers=web_workers),
            "stream": stream_server_command(bind=f"{host}:{stream_port}"),
            "worker": celery_worker_command(concurrency=2, gossip=True),
            "beat": celery_beat_command(schedule=data_dir / "celerybeat-schedule"),
        }
        return {
            name: subprocess.Popen(
                command,
                env=env,
                cwd=settings.BASE_DIR,
                start_new_session=True,
                preexec_fn=embedded.terminate_with_parent,  # never orphaned
            )
            for name, command in commands.items()
        }

    def _wait_until_ready(self, url: str, children) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self._stop_requested:
            _raise_if_any_exited(children)
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        if not self._stop_requested:
            raise CommandError(f"the server did not become ready at {url}")

    def _print_banner(
        self, base_url: str, stream_url: str, demo: dict, sample_lead: dict | None
    ) -> None:
        if demo.get("created"):
            client_id, client_secret = demo["client_id"], demo["client_secret"]
            ou_id = demo["ou_id"]
            login = (
                f"  demo admin    {demo['email']}  password: {demo['password']}\n"
                f"  API client    id: {client_id}  secret: {client_secret}\n"
            )
        else:
            client_id, client_secret = "$CLIENT_ID", "$CLIENT_SECRET"
            ou_id = "$OU_ID"
            login = (
                "  existing data: use your credentials, or create some with\n"
                "  python manage.py bootstrap --org NAME --ou NAME --email EMAIL --password PW\n"
            )
        if sample_lead:
            email, lead_id = sample_lead["email"], sample_lead["lead_id"]
            whose = f"seeded lead {lead_id}"
        else:
            email, lead_id = FIRST_CONTACT_EMAIL, "LEAD_ID"
            whose = "a new lead; LEAD_ID: the lead_id it answers"
        event = json.dumps(
            {
                "aliases": [{"alias_kind": "email", "raw_value": email}],
                "event_type": "pricing_page_view",
                "metadata": {"channel": "web", "path": "/pricing"},
            }
        )
        credentials = f"-u '{client_id}:{client_secret}'"
        mail = ""
        if "EMAIL_BACKEND" not in os.environ:
            mail = f"  trigger mail  {embedded.default_data_dir().resolve() / 'mail'}/\n"
        self.stdout.write(
            "\nLeadvibe is running (Ctrl-C stops everything)\n"
            f"  API           {base_url}/api/v1/\n"
            f"  API docs      {base_url}/api/v1/docs\n"
            f"  metrics       {base_url}/metrics\n"
            f"  readiness     {base_url}/readyz\n"
            f"  live stream   {stream_url}/api/v1/stream?ouId={ou_id}&access_token=<JWT>\n"
            f"{mail}{login}"
            f"Ingest an event for {email} ({whose}):\n"
            f"  curl {credentials} -H 'Content-Type: application/json' \\\n"
            f"       -d '{event}' {base_url}/api/v1/events\n"
            "Read its score:\n"
            f"  curl {credentials} {base_url}/api/v1/leads/{lead_id}/score\n"
        )
        self.stdout.flush()

    def _supervise(self, children) -> None:
        while not self._stop_requested:
            _raise_if_any_exited(children)
            time.sleep(0.3)


def _raise_if_any_exited(children) -> None:
    for name, process in children.items():
        if process.poll() is not None:
            raise CommandError(f"{name} exited with code {process.returncode}; stopping")


def _stop(children: dict[str, subprocess.Popen]) -> None:
    for process in children.values():
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
    for process in children.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.1, deadline - time.monotonic()))
    # Whatever is left of each group (a hung child, a worker's pool process) is killed.
    for process in children.values():
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
