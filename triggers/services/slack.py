"""Slack: the organization's app credentials, an OU's installation (OAuth v2), the workspace
reads the integration routes proxy, and `post_slack_message` for trigger deliveries.

Every call goes through slack_sdk's WebClient at `SLACK_API_BASE_URL` without retries of its
own: a failed call raises `SlackDeliveryError` at once, saying whether trying again later can
help, so the delivery task retries on its own schedule and API callers get a 502 at once.
The client secret and bot tokens are stored encrypted and decrypted only to make a call.
"""

import datetime
import http.client
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from leadvibe.exceptions import ApplicationError, ConflictError, UpstreamError
from leadvibe.secrets_at_rest import UndecryptableSecret, decrypt_secret, encrypt_secret
from orgunits.models import Member, Organization, OrgUnit, OUMembership
from orgunits.selectors import ou_access_for
from triggers.models import SlackApp, SlackConnection, SlackOAuthState, Trigger

logger = logging.getLogger(__name__)

TargetKind = Trigger.SlackTargetKind

SLACK_TIMEOUT_SECONDS = 10
BOT_SCOPES = ("chat:write", "channels:read", "groups:read", "users:read", "im:write")
DEFAULT_CHANNEL_TYPES = "public_channel,private_channel"
TEST_MESSAGE_TEXT = "Test notification from Leadvibe: Slack notifications reach this place."
# Errors Slack answers (with HTTP 200) for a passing condition; any other error would recur.
_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackAppNotConfiguredError(ApplicationError):
    default_message = "The organization has no Slack app configured (PUT /settings/slack-app)"


class SlackNotConnectedError(ConflictError):
    default_message = "The OU is not connected to Slack"


class SlackDeliveryError(UpstreamError):
    """A Slack call failed, or there is nothing to call. `retryable`: trying again later can
    succeed (network, 5xx, rate limit), after `retry_after` seconds when Slack said so."""

    def __init__(
        self,
        message: str,
        retryable: bool,
        retry_after: float | None = None,
        *,
        slack_error: str = "",
    ):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        #: Slack's error code (`channel_not_found`, ...), `unreachable` or `http_<status>`.
        self.slack_error = slack_error


class SlackInstallError(Exception):
    """The OAuth callback could not connect the OU; `reason` is shown to the SPA."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SlackStatus:
    connected: bool
    team_name: str | None = None
    team_id: str | None = None
    bot_user_id: str | None = None
    updated_at: datetime.datetime | None = None
    default_target_kind: str | None = None
    default_target_id: str | None = None
    authorize_url: str | None = None


# --- The organization's app -----------------------------------------------------------------


def slack_app_configured(*, org: Organization) -> bool:
    return SlackApp.objects.filter(org=org).exists()


def slack_app_set(*, org: Organization, client_id: str, client_secret: str) -> SlackApp:
    app, _ = SlackApp.objects.update_or_create(
        org=org,
        defaults={"client_id": client_id, "client_secret_encrypted": encrypt_secret(client_secret)},
    )
    return app


# --- Installation ---------------------------------------------------------------------------


def slack_install_begin(*, unit: OrgUnit, member: Member) -> str:
    """A new single-use OAuth state for the OU and member; Slack's authorize URL carrying it."""
    app = SlackApp.objects.filter(org_id=unit.org_id).first()
    if app is None:
        raise SlackAppNotConfiguredError()
    now = timezone.now()
    SlackOAuthState.objects.for_ou(unit).filter(expires_at__lte=now).delete()
    state = SlackOAuthState.objects.create(
        state=secrets.token_urlsafe(32),
        unit=unit,
        member=member,
        expires_at=now + datetime.timedelta(seconds=settings.SLACK_OAUTH_STATE_SECONDS),
    )
    query = {
        "client_id": app.client_id,
        "scope": ",".join(BOT_SCOPES),
        "state": state.state,
        "redirect_uri": _redirect_uri(),
    }
    return f"{settings.SLACK_OAUTH_AUTHORIZE_URL}?{urlencode(query)}"


def slack_install_complete(*, state: str, code: str) -> SlackConnection:
    """Consumes the state (valid or not, it never works twice), exchanges the code for the
    bot token and stores the OU's connection; raises SlackInstallError."""
    oauth_state = _oauth_state_consume(state)
    unit = oauth_state.unit
    access = ou_access_for(member=oauth_state.member, unit=unit)
    if access is None or not access.allows(OUMembership.Role.OPERATOR):
        raise SlackInstallError("forbidden")
    app = SlackApp.objects.filter(org_id=unit.org_id).first()
    if app is None:
        raise SlackInstallError("app_not_configured")
    try:
        client_secret = decrypt_secret(app.client_secret_encrypted)
    except UndecryptableSecret as exc:
        raise SlackInstallError("app_not_configured") from exc
    try:
        with _slack_errors():
            granted = _client().oauth_v2_access(
                client_id=app.client_id,
                client_secret=client_secret,
                code=code,
                redirect_uri=_redirect_uri(),
            )
    except SlackDeliveryError as exc:
        raise SlackInstallError(exc.slack_error) from exc
    return _connection_store(unit, granted.data)


def slack_install_abandon(*, state: str) -> None:
    """The user declined on Slack's page: the state is spent all the same."""
    SlackOAuthState.objects.unscoped().filter(state=state).delete()


def _oauth_state_consume(state: str) -> SlackOAuthState:
    oauth_state = (
        SlackOAuthState.objects.unscoped()
        .select_related("unit", "member")
        .filter(state=state)
        .first()
    )
    # Of concurrent uses of one state, only the one whose DELETE removed the row goes on.
    if (
        oauth_state is None
        or SlackOAuthState.objects.unscoped().filter(state=state).delete()[0] == 0
    ):
        raise SlackInstallError("invalid_state")
    if oauth_state.expires_at <= timezone.now():
        raise SlackInstallError("invalid_state")
    return oauth_state


def _connection_store(unit: OrgUnit, granted: dict) -> SlackConnection:
    team = granted.get("team") or {}
    fields = {
        "team_id": team.get("id", ""),
        "team_name": team.get("name", ""),
        "bot_user_id": granted.get("bot_user_id", ""),
        "bot_token_encrypted": encrypt_secret(granted["access_token"]),
    }
    with transaction.atomic():
        previous = SlackConnection.objects.for_ou(unit).select_for_update()
        previous_team = previous.values_list("team_id", flat=True).first()
        if previous_team != fields["team_id"]:  # a default target is an id of its workspace
            fields.update(default_target_kind="", default_target_id="")
        connection, _ = SlackConnection.objects.for_ou(unit).update_or_create(
            unit=unit, defaults=fields
        )
    return connection


def _redirect_uri() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("integrations-slack-callback")


# --- The OU's connection --------------------------------------------------------------------


def slack_status(*, unit: OrgUnit, installer: Member | None) -> SlackStatus:
    """The OU's connection. When there is none and the organization has a Slack app, an
    authorize URL (a new OAuth state) for `installer`, the caller when they may install."""
    connection = SlackConnection.objects.for_ou(unit).first()
    if connection is None:
        can_install = installer is not None and slack_app_configured(org=unit.org)
        return SlackStatus(
            connected=False,
            authorize_url=slack_install_begin(unit=unit, member=installer) if can_install else None,
        )
    return SlackStatus(
        connected=True,
        team_name=connection.team_name,
        team_id=connection.team_id,
        bot_user_id=connection.bot_user_id,
        updated_at=connection.updated_at,
        default_target_kind=connection.default_target_kind or None,
        default_target_id=connection.default_target_id or None,
    )


def slack_disconnect(*, unit: OrgUnit) -> None:
    """Forgets the OU's connection, and asks Slack to revoke its token (best effort: the
    connection is gone whatever Slack answers)."""
    with transaction.atomic():
        connection = SlackConnection.objects.for_ou(unit).select_for_update().first()
        if connection is None:
            return
        connection.delete()
    try:
        with _slack_errors():
            _bot_client(connection).auth_revoke()
    except SlackDeliveryError as exc:
        logger.warning("Slack token of %s not revoked: %s", unit.id, exc.message)


def slack_default_target_set(*, unit: OrgUnit, kind: str, target_id: str) -> SlackConnection:
    connection = _connection_of(unit)
    connection.default_target_kind = kind
    connection.default_target_id = target_id
    connection.save(update_fields=["default_target_kind", "default_target_id", "updated_at"])
    return connection


def slack_channels_list(
    *, unit: OrgUnit, types: str, cursor: str | None, limit: int | None
) -> dict:
    client = _bot_client(_connection_of(unit))
    with _slack_errors():
        return client.conversations_list(types=types, cursor=cursor, limit=limit).data


def slack_users_list(*, unit: OrgUnit, cursor: str | None, limit: int | None) -> dict:
    client = _bot_client(_connection_of(unit))
    with _slack_errors():
        return client.users_list(cursor=cursor, limit=limit).data


def slack_test_message_send(*, unit: OrgUnit, kind: str, target_id: str, text: str | None) -> str:
    """Posts a test message (to a user: in a DM with the bot); returns its `ts`."""
    return _post(_connection_of(unit), kind, target_id, text or TEST_MESSAGE_TEXT, None)


def _connection_of(unit: OrgUnit) -> SlackConnection:
    connection = SlackConnection.objects.for_ou(unit).first()
    if connection is None:
        raise SlackNotConnectedError()
    return connection


# --- Deliveries -----------------------------------------------------------------------------


def post_slack_message(
    unit_id: str, *, target_kind: str, target_id: str, text: str, blocks: list | None = None
) -> str:
    """Posts to the OU's workspace (to its default target when none is given; to a user: in
    a DM with the bot) and returns the message's `ts`; raises SlackDeliveryError."""
    connection = SlackConnection.objects.for_ou(unit_id).first()
    if connection is None:
        raise SlackDeliveryError("The OU is not connected to Slack", retryable=False)
    if not (target_kind and target_id):
        target_kind = connection.default_target_kind
        target_id = connection.default_target_id
    if not (target_kind and target_id):
        raise SlackDeliveryError("No Slack target, and the OU has no default", retryable=False)
    return _post(connection, target_kind, target_id, text, blocks)


def _post(
    connection: SlackConnection, kind: str, target_id: str, text: str, blocks: list | None
) -> str:
    client = _bot_client(connection)
    with _slack_errors():
        channel = target_id
        if kind == TargetKind.USER:
            channel = client.conversations_open(users=target_id)["channel"]["id"]
        return client.chat_postMessage(channel=channel, text=text, blocks=blocks)["ts"]


# --- Calling Slack --------------------------------------------------------------------------


def _client(token: str | None = None) -> WebClient:
    return WebClient(
        token=token,
        base_url=settings.SLACK_API_BASE_URL,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=[],
    )


def _bot_client(connection: SlackConnection) -> WebClient:
    try:
        return _client(decrypt_secret(connection.bot_token_encrypted))
    except UndecryptableSecret as exc:
        raise SlackDeliveryError(
            "The Slack token can no longer be decrypted; reconnect Slack", retryable=False
        ) from exc


@contextmanager
def _slack_errors() -> Iterator[None]:
    """Turns what slack_sdk raises for Slack's answers and for network failures into
    SlackDeliveryError."""
    try:
        yield
    except SlackApiError as exc:
        raise _api_error(exc) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise SlackDeliveryError(
            f"Slack: unreachable ({exc})", retryable=True, slack_error="unreachable"
        ) from exc


def _api_error(exc: SlackApiError) -> SlackDeliveryError:
    response = exc.response
    status = response.status_code
    if status == 429:
        slack_error = "ratelimited"
    elif status >= 500:
        slack_error = f"http_{status}"
    else:
        slack_error = str(response.get("error") or f"http_{status}")
    return SlackDeliveryError(
        f"Slack: {slack_error}",
        retryable=status == 429 or status >= 500 or slack_error in _TRANSIENT_ERRORS,
        retry_after=_retry_after(response.headers),
        slack_error=slack_error,
    )


def _retry_after(headers: dict) -> float | None:
    value = next((v for name, v in headers.items() if name.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
