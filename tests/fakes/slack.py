"""A fake Slack: the Web API methods the engine calls and the OAuth authorize page, served
over real HTTP on 127.0.0.1 by a thread of the test process.

The code under test talks to it through slack_sdk exactly as it talks to Slack. In-process
tests use the `fake_slack` fixture, which points `SLACK_API_BASE_URL` and
`SLACK_OAUTH_AUTHORIZE_URL` at it; a worker process started by an end-to-end test reaches it
with `SLACK_API_BASE_URL=fake_slack.base_url` in its environment (the server lives as long as
the test session, so what the worker posts lands in `fake_slack.messages`).

Like Slack, every method but `oauth.v2.access` needs a bot token (`Authorization: Bearer`)
the fake issued and nobody revoked, and answers `{"ok": false, "error": "invalid_auth"}`
otherwise. Each workspace's ids embed its team id, so a test can tell whose data it sees.
"""

import base64
import itertools
import json
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

_sequence = itertools.count(1)


@dataclass
class Workspace:
    team_id: str
    team_name: str
    bot_user_id: str
    bot_token: str
    channels: list[dict]  # conversations.list objects; `is_member`: the bot may post there
    users: list[dict]  # users.list objects
    dm_channels: dict[str, str] = field(default_factory=dict)  # DM channel id -> user id

    def channel(self, name: str) -> dict:
        return next(channel for channel in self.channels if channel["name"] == name)

    def user(self, name: str) -> dict:
        return next(user for user in self.users if user["name"] == name)


@dataclass(frozen=True)
class PostedMessage:
    team_id: str
    channel: str  # as posted: a channel id, or the DM channel conversations.open returned
    text: str | None
    blocks: list | None
    received_at: float  # time.time() when the fake received it
    ts: str  # the message id Slack answers


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str
    retry_after: int | None
    disconnect: bool
    method: str | None


def _workspace_data(team_id: str) -> tuple[list[dict], list[dict]]:
    key = team_id[1:]
    channels = [
        {
            "id": f"C{key}1",
            "name": f"general-{key.lower()}",
            "is_private": False,
            "is_member": True,
        },
        {"id": f"C{key}2", "name": f"random-{key.lower()}", "is_private": False, "is_member": True},
        {"id": f"G{key}3", "name": f"secret-{key.lower()}", "is_private": True, "is_member": True},
        {"id": f"C{key}4", "name": f"elsewhere-{key.lower()}", "is_private": False},
    ]
    for channel in channels:
        channel.setdefault("is_member", False)
        channel.update(is_channel=not channel["is_private"], is_group=channel["is_private"])
    users = [
        {"id": f"U{key}1", "name": f"alice-{key.lower()}", "real_name": "Alice", "is_bot": False},
        {"id": f"U{key}2", "name": f"bob-{key.lower()}", "real_name": "Bob", "is_bot": False},
    ]
    return channels, users


class FakeSlack:
    """Start with `start()`; `base_url` is the Web API base (`http://127.0.0.1:<port>/api/`)
    and `authorize_url` the OAuth page. State is kept until `reset()`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "FakeSlack":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/"

    @property
    def authorize_url(self) -> str:
        return f"{self.origin}/oauth/v2/authorize"

    def reset(self) -> None:
        with self._lock:
            self.apps: dict[str, str] = {}  # client_id -> client_secret
            self.workspaces: dict[str, Workspace] = {}
            self.installing: str | None = None  # team the authorize page installs into
            self.messages: list[PostedMessage] = []
            self.calls: list[tuple[str, dict]] = []  # (method, params), every call received
            self.revoked_tokens: set[str] = set()
            self._codes: dict[str, tuple[str, str, str | None]] = {}
            self._failures: deque[_Failure] = deque()

    # --- what a test sets up -----------------------------------------------------------------

    def add_app(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self.apps[client_id] = client_secret

    def add_workspace(self, team_id: str | None = None, team_name: str | None = None) -> Workspace:
        """A workspace with channels (`general-*`, `random-*`, private `secret-*`, and
        `elsewhere-*` the bot is not in) and users (`alice-*`, `bob-*`)."""
        n = next(_sequence)
        team_id = team_id or f"T{n:04d}{secrets.token_hex(3).upper()}"
        channels, users = _workspace_data(team_id)
        workspace = Workspace(
            team_id=team_id,
            team_name=team_name or f"Team {team_id}",
            bot_user_id=f"B{team_id[1:]}",
            bot_token=f"xoxb-{team_id}-{secrets.token_hex(8)}",
            channels=channels,
            users=users,
        )
        with self._lock:
            self.workspaces[team_id] = workspace
            self.installing = self.installing or team_id
        return workspace

    def issue_code(self, *, client_id: str, team_id: str, redirect_uri: str | None = None) -> str:
        """An OAuth code, as Slack gives one when a user approves an install (single use)."""
        code = f"code-{secrets.token_hex(8)}"
        with self._lock:
            self._codes[code] = (client_id, team_id, redirect_uri)
        return code

    def approve(self, authorize_url: str) -> str:
        """What a browser does with Slack's authorize URL when the user clicks Allow: the
        callback URL Slack redirects to (with `code` and `state`)."""
        response = requests.get(authorize_url, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def fail_next(
        self,
        count: int = 1,
        *,
        error: str = "internal_error",
        status: int = 200,
        retry_after: int | None = None,
        disconnect: bool = False,
        method: str | None = None,
    ) -> None:
        """The next `count` calls (of `method` only, when given) fail: with `{"ok": false,
        "error": error}` and HTTP `status` (429 answers `ratelimited` with `Retry-After`; 5xx
        an HTML page), or by closing the connection without an answer (`disconnect`)."""
        if status == 429:
            error = "ratelimited"
        with self._lock:
            self._failures.extend(
                [_Failure(status, error, retry_after, disconnect, method)] * count
            )

    # --- what a test reads -------------------------------------------------------------------

    def messages_to(self, channel: str) -> list[PostedMessage]:
        with self._lock:
            return [message for message in self.messages if message.channel == channel]

    def calls_of(self, method: str) -> list[dict]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    # --- the HTTP side -----------------------------------------------------------------------

    def _next_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method in (None, method):
                    self._failures.remove(failure)
                    return failure
        return None

    def _authorize(self, query: dict) -> tuple[int, dict]:
        with self._lock:
            if query.get("client_id") not in self.apps:
                return 400, {}
            team_id = query.get("team") or self.installing
        if team_id is None:
            team_id = self.add_workspace().team_id
        code = self.issue_code(
            client_id=query["client_id"], team_id=team_id, redirect_uri=query.get("redirect_uri")
        )
        target = query["redirect_uri"]
        separator = "&" if "?" in target else "?"
        callback = urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": f"{target}{separator}{callback}"}

    def _call(self, method: str, params: dict, authorization: str) -> dict:
        with self._lock:
            self.calls.append((method, params))
        if method == "oauth.v2.access":
            return self._oauth_access(params, authorization)
        workspace = self._workspace_of(authorization)
        if workspace is None:
            return {"ok": False, "error": "invalid_auth"}
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(self, workspace, params)

    def _workspace_of(self, authorization: str) -> Workspace | None:
        token = authorization.removeprefix("Bearer ")
        with self._lock:
            if not authorization.startswith("Bearer ") or token in self.revoked_tokens:
                return None
            return next((w for w in self.workspaces.values() if w.bot_token == token), None)

    def _oauth_access(self, params: dict, authorization: str) -> dict:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
        with self._lock:
            if client_id not in self.apps:
                return {"ok": False, "error": "invalid_client_id"}
            if self.apps[client_id] != client_secret:
                return {"ok": False, "error": "bad_client_secret"}
            issued = self._codes.pop(params.get("code", ""), None)
            if issued is None or issued[0] != client_id:
                return {"ok": False, "error": "invalid_code"}
            _, team_id, redirect_uri = issued
            if redirect_uri is not None and params.get("redirect_uri") != redirect_uri:
                return {"ok": False, "error": "bad_redirect_uri"}
            workspace = self.workspaces[team_id]
            if workspace.bot_token in self.revoked_tokens:  # a reinstall gets a new token
                workspace.bot_token = f"xoxb-{team_id}-{secrets.token_hex(8)}"
        return {
            "ok": True,
            "app_id": "AFAKEAPP",
            "access_token": workspace.bot_token,
            "token_type": "bot",
            "scope": "chat:write,channels:read,groups:read,users:read,im:write",
            "bot_user_id": workspace.bot_user_id,
            "team": {"id": workspace.team_id, "name": workspace.team_name},
            "enterprise": None,
            "authed_user": {"id": workspace.users[0]["id"]},
        }

    def _auth_test(self, workspace: Workspace, params: dict) -> dict:
        return {
            "ok": True,
            "team": workspace.team_name,
            "team_id": workspace.team_id,
            "user_id": workspace.bot_user_id,
        }

    def _auth_revoke(self, workspace: Workspace, params: dict) -> dict:
        with self._lock:
            self.revoked_tokens.add(workspace.bot_token)
        return {"ok": True, "revoked": True}

    def _conversations_list(self, workspace: Workspace, params: dict) -> dict:
        types = set((params.get("types") or "public_channel").split(","))
        channels = [
            channel
            for channel in workspace.channels
            if ("private_channel" if channel["is_private"] else "public_channel") in types
        ]
        return {"ok": True, **_page(params, "channels", channels)}

    def _users_list(self, workspace: Workspace, params: dict) -> dict:
        return {"ok": True, **_page(params, "members", workspace.users)}

    def _conversations_open(self, workspace: Workspace, params: dict) -> dict:
        user_id = params.get("users", "")
        if user_id not in {user["id"] for user in workspace.users}:
            return {"ok": False, "error": "user_not_found"}
        channel_id = f"D{user_id[1:]}"
        with self._lock:
            workspace.dm_channels[channel_id] = user_id
        return {"ok": True, "channel": {"id": channel_id}}

    def _chat_post_message(self, workspace: Workspace, params: dict) -> dict:
        channel_id = params.get("channel", "")
        channel = next((c for c in workspace.channels if c["id"] == channel_id), None)
        if channel is None and channel_id not in workspace.dm_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel is not None and not channel["is_member"]:
            return {"ok": False, "error": "not_in_channel"}
        blocks = params.get("blocks")
        if isinstance(blocks, str):  # form-encoded calls send blocks as JSON text
            blocks = json.loads(blocks)
        if not params.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        received_at = time.time()
        with self._lock:
            message = PostedMessage(
                team_id=workspace.team_id,
                channel=channel_id,
                text=params.get("text"),
                blocks=blocks,
                received_at=received_at,
                ts=f"{received_at:.0f}.{len(self.messages) + 1:06d}",
            )
            self.messages.append(message)
        return {
            "ok": True,
            "channel": channel_id,
            "ts": message.ts,
            "message": {"text": message.text},
        }


_METHODS = {
    "auth.test": FakeSlack._auth_test,
    "auth.revoke": FakeSlack._auth_revoke,
    "conversations.list": FakeSlack._conversations_list,
    "users.list": FakeSlack._users_list,
    "conversations.open": FakeSlack._conversations_open,
    "chat.postMessage": FakeSlack._chat_post_message,
}


def _page(params: dict, key: str, items: list) -> dict:
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or 100)
    end = start + limit
    next_cursor = str(end) if end < len(items) else ""
    return {key: items[start:end], "response_metadata": {"next_cursor": next_cursor}}


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._handle()

        def do_POST(self):
            self._handle()

        def log_message(self, format, *args):
            pass

        def _handle(self):
            url = urlsplit(self.path)
            params = dict(parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            if self.headers.get("Content-Type", "").startswith("application/json"):
                params.update(json.loads(body or "{}"))
            else:
                params.update(parse_qsl(body))
            if url.path == "/oauth/v2/authorize":
                status, headers = fake._authorize(params)
                return self._answer(status, "", headers)
            if not url.path.startswith("/api/"):
                return self._answer(404, "")
            method = url.path.removeprefix("/api/")
            failure = fake._next_failure(method)
            if failure is not None:
                return self._fail(failure)
            answer = fake._call(method, params, self.headers.get("Authorization", ""))
            return self._answer(200, json.dumps(answer), {"Content-Type": "application/json"})

        def _fail(self, failure: _Failure):
            if failure.disconnect:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return None
            if failure.status >= 500:
                page = f"<html><body>{failure.status} Server Error</body></html>"
                return self._answer(failure.status, page, {"Content-Type": "text/html"})
            headers = {"Content-Type": "application/json"}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            body = json.dumps({"ok": False, "error": failure.error})
            return self._answer(failure.status, body, headers)

        def _answer(self, status: int, body: str, headers: dict | None = None):
            data = body.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="session")
def fake_slack_server():
    """The fake, started once per test session (see `fake_slack`)."""
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_slack(fake_slack_server, settings) -> FakeSlack:
    """The fake, emptied, with the settings of the test process pointing at it."""
    fake_slack_server.reset()
    settings.SLACK_API_BASE_URL = fake_slack_server.base_url
    settings.SLACK_OAUTH_AUTHORIZE_URL = fake_slack_server.authorize_url
    return fake_slack_server
