"""The Slack integration against the fake Slack (tests/fakes/slack.py): the organization's
app, an OU's OAuth install, its workspace reads, default target and test message, and
`post_slack_message` with its errors classified for the delivery retries."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from leadvibe.embedded import free_port
from leadvibe.secrets_at_rest import decrypt_secret, encrypt_secret
from tests.api_clients import basic_client_for, jwt_client_for
from tests.concurrency import run_in_threads
from tests.factories import make_credential, make_member, make_membership, make_org, make_unit
from triggers.models import SlackApp, SlackConnection, SlackOAuthState
from triggers.services.slack import SlackDeliveryError, post_slack_message, slack_app_set

pytestmark = pytest.mark.django_db

CLIENT_ID = "1234.5678"
CLIENT_SECRET = "app-client-secret-value"
SCOPES = "chat:write,channels:read,groups:read,users:read,im:write"


def member_with_role(unit, role):
    member = make_member(unit.org)
    make_membership(unit, member, role)
    return member


@pytest.fixture
def unit():
    return make_unit(make_org())


@pytest.fixture
def admin(unit):
    return make_member(unit.org, role="admin")


@pytest.fixture
def operator(unit):
    return jwt_client_for(member_with_role(unit, "Operator"), unit)


@pytest.fixture
def viewer(unit):
    return jwt_client_for(member_with_role(unit, "Viewer"), unit)


@pytest.fixture
def app(fake_slack, unit):
    fake_slack.add_app(CLIENT_ID, CLIENT_SECRET)
    return slack_app_set(org=unit.org, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def workspace(fake_slack):
    return fake_slack.add_workspace(team_name="Acme")


def callback(client: APIClient, url: str):
    """Follows Slack's redirect to our callback (an absolute URL) with the test client."""
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def spa_query(response) -> dict:
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert location.path == "/home"
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def install(fake_slack, client: APIClient) -> dict:
    authorize_url = client.post("/api/v1/integrations/slack/install").json()["authorize_url"]
    return spa_query(callback(APIClient(), fake_slack.approve(authorize_url)))


@pytest.fixture
def connected(fake_slack, app, workspace, operator):
    assert install(fake_slack, operator) == {"slack": "connected"}
    return workspace


# --- The organization's app -----------------------------------------------------------------


def test_slack_app_secret_is_stored_encrypted_and_never_returned(unit, admin):
    client = jwt_client_for(admin, unit)
    assert client.get("/api/v1/settings/slack-app").json() == {"configured": False}

    response = client.put(
        "/api/v1/settings/slack-app",
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        format="json",
    )

    assert response.json() == {"configured": True}
    assert client.get("/api/v1/settings/slack-app").json() == {"configured": True}
    stored = SlackApp.objects.get(org=unit.org)
    assert stored.client_id == CLIENT_ID
    assert CLIENT_SECRET not in stored.client_secret_encrypted
    assert decrypt_secret(stored.client_secret_encrypted) == CLIENT_SECRET


def test_only_org_admins_set_the_slack_app(unit):
    owner = jwt_client_for(member_with_role(unit, "Owner"), unit)
    response = owner.put(
        "/api/v1/settings/slack-app",
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        format="json",
    )
    assert response.status_code == 403
    assert owner.get("/api/v1/settings/slack-app").json() == {"configured": False}


# --- Installing -----------------------------------------------------------------------------


def test_install_returns_slacks_authorize_url_with_a_new_state(fake_slack, app, unit, operator):
    response = operator.post("/api/v1/integrations/slack/install")

    url = urlsplit(response.json()["authorize_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == fake_slack.authorize_url
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["scope"] == SCOPES
    assert query["redirect_uri"] == "http://localhost:8000/api/v1/integrations/slack/callback"
    assert len(query["state"]) >= 43  # 32 random bytes
    state = SlackOAuthState.objects.unscoped().get(state=query["state"])
    assert state.unit_id == unit.id
    assert state.expires_at > timezone.now() + datetime.timedelta(seconds=590)


def test_install_by_get_redirects_to_slack(fake_slack, app, operator):
    response = operator.get("/api/v1/integrations/slack/install")

    assert response.status_code == 302
    assert response["Location"].startswith(fake_slack.authorize_url + "?client_id=")
    assert SlackOAuthState.objects.unscoped().count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_install_without_an_org_app_is_400(operator, method):
    response = getattr(operator, method)("/api/v1/integrations/slack/install")

    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "error": "The organization has no Slack app configured (PUT /settings/slack-app)",
    }


def test_callback_connects_the_ou_and_stores_the_token_encrypted(
    fake_slack, app, workspace, unit, operator
):
    assert install(fake_slack, operator) == {"slack": "connected"}

    connection = SlackConnection.objects.unscoped().get(unit=unit)
    assert (connection.team_id, connection.team_name) == (workspace.team_id, "Acme")
    assert connection.bot_user_id == workspace.bot_user_id
    assert workspace.bot_token not in connection.bot_token_encrypted
    assert decrypt_secret(connection.bot_token_encrypted) == workspace.bot_token
    assert not SlackOAuthState.objects.unscoped().exists()
    (exchange,) = fake_slack.calls_of("oauth.v2.access")
    assert exchange["redirect_uri"] == "http://localhost:8000/api/v1/integrations/slack/callback"
    status = operator.get("/api/v1/integrations/slack").json()
    assert status == {
        "connected": True,
        "team_name": "Acme",
        "team_id": workspace.team_id,
        "bot_user_id": workspace.bot_user_id,
        "updated_at": status["updated_at"],
        "default_target_kind": None,
        "default_target_id": None,
        "authorize_url": None,
    }
    assert status["updated_at"].endswith("Z")


def test_a_state_works_once(fake_slack, app, workspace, operator):
    authorize_url = operator.post("/api/v1/integrations/slack/install").json()["authorize_url"]
    back_from_slack = fake_slack.approve(authorize_url)
    assert spa_query(callback(APIClient(), back_from_slack)) == {"slack": "connected"}

    replayed = spa_query(callback(APIClient(), back_from_slack))

    assert replayed == {"slack": "error", "reason": "invalid_state"}
    assert len(fake_slack.calls_of("oauth.v2.access")) == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_uses_of_a_state_let_one_through(fake_slack, app, workspace, unit, operator):
    authorize_url = operator.post("/api/v1/integrations/slack/install").json()["authorize_url"]
    back_from_slack = fake_slack.approve(authorize_url)
    answers = run_in_threads(
        lambda _: spa_query(callback(APIClient(), back_from_slack)), count=6, start_together=True
    )

    assert sorted(answer["slack"] for answer in answers) == ["connected"] + ["error"] * 5
    assert {answer.get("reason") for answer in answers} == {None, "invalid_state"}
    assert len(fake_slack.calls_of("oauth.v2.access")) == 1


def test_an_expired_state_is_refused(fake_slack, app, workspace, unit, operator):
    authorize_url = operator.post("/api/v1/integrations/slack/install").json()["authorize_url"]
    SlackOAuthState.objects.unscoped().update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = callback(APIClient(), fake_slack.approve(authorize_url))

    assert spa_query(response) == {"slack": "error", "reason": "invalid_state"}
    assert not SlackConnection.objects.for_ou(unit).exists()
    assert not SlackOAuthState.objects.unscoped().exists()
    assert not fake_slack.calls_of("oauth.v2.access")


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("code=abc&state=made-up", "invalid_state"),
        ("code=abc", "invalid_request"),
        ("", "invalid_request"),
    ],
)
def test_a_callback_without_a_known_state_is_refused(api_client, query, reason):
    response = api_client.get(f"/api/v1/integrations/slack/callback?{query}")
    assert spa_query(response) == {"slack": "error", "reason": reason}


def test_declining_on_slack_spends_the_state(fake_slack, app, unit, operator):
    authorize_url = operator.post("/api/v1/integrations/slack/install").json()["authorize_url"]
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]

    response = APIClient().get(
        "/api/v1/integrations/slack/callback", {"error": "access_denied", "state": state}
    )

    assert spa_query(response) == {"slack": "error", "reason": "access_denied"}
    assert not SlackOAuthState.objects.unscoped().exists()


def test_a_code_slack_refuses_is_reported(fake_slack, app, workspace, unit, operator):
    authorize_url = operator.post("/api/v1/integrations/slack/install").json()["authorize_url"]
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]

    response = APIClient().get(
        "/api/v1/integrations/slack/callback", {"code": "not-issued", "state": state}
    )

    assert spa_query(response) == {"slack": "error", "reason": "invalid_code"}
    assert not SlackConnection.objects.for_ou(unit).exists()


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        ({"status": 500}, "http_500"),
        ({"disconnect": True}, "unreachable"),
        ({"status": 429, "retry_after": 30}, "ratelimited"),
    ],
)
def test_slack_failing_during_the_exchange_is_reported_not_a_500(
    fake_slack, app, workspace, unit, operator, failure, reason
):
    authorize_url = operator.post("/api/v1/integrations/slack/install").json()["authorize_url"]
    back_from_slack = fake_slack.approve(authorize_url)
    fake_slack.fail_next(method="oauth.v2.access", **failure)

    response = callback(APIClient(), back_from_slack)

    assert spa_query(response) == {"slack": "error", "reason": reason}
    assert not SlackConnection.objects.for_ou(unit).exists()


def test_an_installer_who_lost_the_operator_role_cannot_finish(fake_slack, app, workspace, unit):
    member = member_with_role(unit, "Operator")
    authorize_url = (
        jwt_client_for(member, unit)
        .post("/api/v1/integrations/slack/install")
        .json()["authorize_url"]
    )
    make_membership(unit, member, "Viewer")

    response = callback(APIClient(), fake_slack.approve(authorize_url))

    assert spa_query(response) == {"slack": "error", "reason": "forbidden"}
    assert not SlackConnection.objects.for_ou(unit).exists()


def test_installing_another_workspace_forgets_the_default_target(
    fake_slack, connected, unit, operator
):
    general = connected.channel(f"general-{connected.team_id[1:].lower()}")
    operator.put(
        "/api/v1/integrations/slack/default-target",
        {"kind": "channel", "id": general["id"]},
        format="json",
    )
    other = fake_slack.add_workspace(team_name="Other")
    fake_slack.installing = other.team_id

    assert install(fake_slack, operator) == {"slack": "connected"}

    connection = SlackConnection.objects.unscoped().get(unit=unit)
    assert connection.team_id == other.team_id
    assert (connection.default_target_kind, connection.default_target_id) == ("", "")


# --- Status and disconnecting ---------------------------------------------------------------


def test_status_offers_an_authorize_url_to_those_who_may_install(fake_slack, app, operator, viewer):
    status = operator.get("/api/v1/integrations/slack").json()
    assert status["connected"] is False
    assert status["authorize_url"].startswith(fake_slack.authorize_url)
    assert viewer.get("/api/v1/integrations/slack").json() == {
        "connected": False,
        "team_name": None,
        "team_id": None,
        "bot_user_id": None,
        "updated_at": None,
        "default_target_kind": None,
        "default_target_id": None,
        "authorize_url": None,
    }


def test_status_without_an_org_app_has_no_authorize_url(operator):
    assert operator.get("/api/v1/integrations/slack").json()["authorize_url"] is None


def test_disconnect_forgets_the_connection_and_revokes_the_token(
    fake_slack, connected, unit, operator
):
    response = operator.delete("/api/v1/integrations/slack")

    assert response.status_code == 204
    assert not SlackConnection.objects.for_ou(unit).exists()
    assert connected.bot_token in fake_slack.revoked_tokens
    assert operator.get("/api/v1/integrations/slack").json()["connected"] is False
    assert operator.delete("/api/v1/integrations/slack").status_code == 204


def test_disconnect_succeeds_when_slack_is_down(fake_slack, connected, unit, operator):
    fake_slack.fail_next(status=503)

    assert operator.delete("/api/v1/integrations/slack").status_code == 204
    assert not SlackConnection.objects.for_ou(unit).exists()


# --- Channels and users ---------------------------------------------------------------------


def test_channels_are_slacks_answer(connected, operator):
    body = operator.get("/api/v1/integrations/slack/channels").json()

    assert body["ok"] is True
    assert [c["id"] for c in body["channels"]] == [c["id"] for c in connected.channels]
    public = operator.get("/api/v1/integrations/slack/channels", {"types": "public_channel"})
    assert all(not c["is_private"] for c in public.json()["channels"])


def test_channels_and_users_page_with_slacks_cursor(fake_slack, connected, operator):
    first = operator.get("/api/v1/integrations/slack/users", {"limit": 1}).json()
    cursor = first["response_metadata"]["next_cursor"]
    second = operator.get("/api/v1/integrations/slack/users", {"limit": 1, "cursor": cursor})

    assert [u["id"] for u in first["members"] + second.json()["members"]] == [
        u["id"] for u in connected.users
    ]
    page = operator.get("/api/v1/integrations/slack/channels", {"limit": 2, "cursor": "2"})
    assert [c["id"] for c in page.json()["channels"]] == [c["id"] for c in connected.channels[2:]]
    assert fake_slack.calls_of("conversations.list")[-1]["types"] == (
        "public_channel,private_channel"
    )


@pytest.mark.parametrize("route", ["channels", "users"])
def test_workspace_reads_need_a_connection(operator, route):
    response = operator.get(f"/api/v1/integrations/slack/{route}")
    assert response.status_code == 409
    assert response.json() == {"status": 409, "error": "The OU is not connected to Slack"}


def test_a_token_slack_does_not_accept_is_a_clean_502(fake_slack, connected, unit, operator):
    SlackConnection.objects.for_ou(unit).update(
        bot_token_encrypted=encrypt_secret("xoxb-not-issued")
    )

    response = operator.get("/api/v1/integrations/slack/channels")

    assert response.status_code == 502
    assert response.json() == {"status": 502, "error": "Slack: invalid_auth"}


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ({"status": 500}, "Slack: http_500"),
        ({"status": 429, "retry_after": 3}, "Slack: ratelimited"),
        ({"error": "missing_scope"}, "Slack: missing_scope"),
        ({"disconnect": True}, "Slack: unreachable"),
    ],
)
def test_slack_failing_is_a_502_not_a_500(fake_slack, connected, operator, failure, error):
    fake_slack.fail_next(**failure)

    response = operator.get("/api/v1/integrations/slack/users")

    assert response.status_code == 502
    assert response.json()["error"].startswith(error)


def test_slack_unreachable_is_a_502(connected, operator, settings):
    settings.SLACK_API_BASE_URL = f"http://127.0.0.1:{free_port()}/api/"

    response = operator.get("/api/v1/integrations/slack/channels")

    assert response.status_code == 502
    assert response.json()["error"].startswith("Slack: unreachable")


# --- Default target and test message --------------------------------------------------------


def test_default_target_is_stored_on_the_connection(connected, unit, operator):
    user = connected.users[0]

    response = operator.put(
        "/api/v1/integrations/slack/default-target",
        {"kind": "user", "id": user["id"]},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["default_target_kind"], body["default_target_id"]) == ("user", user["id"])
    connection = SlackConnection.objects.unscoped().get(unit=unit)
    assert (connection.default_target_kind, connection.default_target_id) == ("user", user["id"])


def test_default_target_checks_its_input_and_the_connection(operator, fake_slack):
    invalid = operator.put(
        "/api/v1/integrations/slack/default-target", {"kind": "team", "id": "T1"}, format="json"
    )
    assert invalid.status_code == 400
    assert "kind" in invalid.json()["details"]
    unconnected = operator.put(
        "/api/v1/integrations/slack/default-target", {"kind": "user", "id": "U1"}, format="json"
    )
    assert unconnected.status_code == 409


def test_test_message_to_a_channel(fake_slack, connected, operator):
    channel = connected.channels[0]["id"]

    response = operator.post(
        "/api/v1/integrations/slack/test", {"kind": "channel", "id": channel}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"message": f"Test message sent to channel {channel}"}
    (message,) = fake_slack.messages_to(channel)
    assert message.team_id == connected.team_id
    assert "Leadvibe" in message.text
    operator.post(
        "/api/v1/integrations/slack/test",
        {"kind": "channel", "id": channel, "text": "Hello from the test"},
        format="json",
    )
    assert fake_slack.messages_to(channel)[-1].text == "Hello from the test"


def test_test_message_to_a_user_goes_to_a_direct_message(fake_slack, connected, operator):
    user = connected.users[1]["id"]

    response = operator.post(
        "/api/v1/integrations/slack/test", {"kind": "user", "id": user}, format="json"
    )

    assert response.status_code == 200
    assert fake_slack.calls_of("conversations.open") == [{"users": user}]
    (message,) = fake_slack.messages
    assert connected.dm_channels[message.channel] == user


@pytest.mark.parametrize(
    ("kind", "target", "error"),
    [
        ("channel", "CNOSUCH", "Slack: channel_not_found"),
        ("user", "UNOSUCH", "Slack: user_not_found"),
    ],
)
def test_test_message_to_an_unknown_target_is_a_502(
    fake_slack, connected, operator, kind, target, error
):
    response = operator.post(
        "/api/v1/integrations/slack/test", {"kind": kind, "id": target}, format="json"
    )

    assert response.status_code == 502
    assert response.json() == {"status": 502, "error": error}
    assert not fake_slack.messages


# --- Who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "route", "body"),
    [
        ("post", "install", None),
        ("get", "install", None),
        ("delete", "", None),
        ("put", "default-target", {"kind": "channel", "id": "C1"}),
        ("post", "test", {"kind": "channel", "id": "C1"}),
    ],
)
def test_viewers_cannot_change_the_integration(connected, viewer, method, route, body):
    response = getattr(viewer, method)(
        f"/api/v1/integrations/slack/{route}".rstrip("/"), body, format="json"
    )
    assert response.status_code == 403


def test_viewers_read_status_channels_and_users(connected, viewer):
    assert viewer.get("/api/v1/integrations/slack").json()["connected"] is True
    assert viewer.get("/api/v1/integrations/slack/channels").status_code == 200
    assert viewer.get("/api/v1/integrations/slack/users").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/settings/slack-app"),
        ("put", "/api/v1/settings/slack-app"),
        ("get", "/api/v1/integrations/slack"),
        ("delete", "/api/v1/integrations/slack"),
        ("get", "/api/v1/integrations/slack/install"),
        ("post", "/api/v1/integrations/slack/install"),
        ("get", "/api/v1/integrations/slack/channels"),
        ("get", "/api/v1/integrations/slack/users"),
        ("put", "/api/v1/integrations/slack/default-target"),
        ("post", "/api/v1/integrations/slack/test"),
    ],
)
def test_api_credentials_are_refused(connected, unit, method, path):
    client = basic_client_for(make_credential(unit))

    response = getattr(client, method)(path, {}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "error": "This route needs a member's JWT, not an API credential",
    }


def test_another_ous_connection_is_neither_seen_nor_used(fake_slack, connected, unit, admin):
    sibling = make_unit(unit.org)
    in_sibling = jwt_client_for(admin, sibling)
    channel = connected.channels[0]["id"]

    assert in_sibling.get("/api/v1/integrations/slack").json()["connected"] is False
    assert in_sibling.get("/api/v1/integrations/slack/channels").status_code == 409
    response = in_sibling.post(
        "/api/v1/integrations/slack/test", {"kind": "channel", "id": channel}, format="json"
    )
    assert response.status_code == 409
    with pytest.raises(SlackDeliveryError):
        post_slack_message(sibling.id, target_kind="channel", target_id=channel, text="x")
    assert not fake_slack.messages


# --- post_slack_message ---------------------------------------------------------------------


def test_post_slack_message_returns_the_ts(fake_slack, connected, unit):
    channel = connected.channels[0]["id"]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hot lead*"}}]

    ts = post_slack_message(
        unit.id, target_kind="channel", target_id=channel, text="Hot lead", blocks=blocks
    )

    (message,) = fake_slack.messages_to(channel)
    assert (message.text, message.blocks) == ("Hot lead", blocks)
    assert ts == message.ts


def test_post_slack_message_without_a_target_uses_the_default(
    fake_slack, connected, unit, operator
):
    user = connected.users[0]["id"]
    operator.put(
        "/api/v1/integrations/slack/default-target", {"kind": "user", "id": user}, format="json"
    )

    post_slack_message(unit.id, target_kind="", target_id="", text="To the default")

    (message,) = fake_slack.messages
    assert connected.dm_channels[message.channel] == user


@pytest.mark.parametrize(
    ("failure", "message", "retry_after"),
    [
        ({"status": 429, "retry_after": 7}, "Slack: ratelimited", 7.0),
        ({"status": 500}, "Slack: http_500", None),
        ({"status": 503}, "Slack: http_503", None),
        ({"error": "internal_error"}, "Slack: internal_error", None),
        ({"disconnect": True}, "Slack: unreachable", None),
    ],
)
def test_transient_failures_are_retryable(
    fake_slack, connected, unit, failure, message, retry_after
):
    fake_slack.fail_next(method="chat.postMessage", **failure)

    with pytest.raises(SlackDeliveryError) as raised:
        post_slack_message(
            unit.id, target_kind="channel", target_id=connected.channels[0]["id"], text="x"
        )

    assert raised.value.retryable is True
    assert raised.value.message.startswith(message)
    assert raised.value.retry_after == retry_after


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"target_kind": "channel", "target_id": "CNOSUCH"}, "Slack: channel_not_found"),
        ({"target_kind": "channel", "target_id": "elsewhere"}, "Slack: not_in_channel"),
        ({"target_kind": "user", "target_id": "UNOSUCH"}, "Slack: user_not_found"),
        ({"target_kind": "", "target_id": ""}, "No Slack target, and the OU has no default"),
    ],
)
def test_failures_that_would_recur_are_not_retryable(fake_slack, connected, unit, target, message):
    if target["target_id"] == "elsewhere":
        target["target_id"] = connected.channels[3]["id"]  # the bot is not a member

    with pytest.raises(SlackDeliveryError) as raised:
        post_slack_message(unit.id, text="x", **target)

    assert raised.value.retryable is False
    assert raised.value.message == message
    assert not fake_slack.messages


def test_a_revoked_token_is_not_retryable(fake_slack, connected, unit):
    fake_slack.revoked_tokens.add(connected.bot_token)

    with pytest.raises(SlackDeliveryError) as raised:
        post_slack_message(
            unit.id, target_kind="channel", target_id=connected.channels[0]["id"], text="x"
        )

    assert (raised.value.message, raised.value.retryable) == ("Slack: invalid_auth", False)


def test_an_unconnected_ou_is_not_retryable(fake_slack, unit):
    with pytest.raises(SlackDeliveryError) as raised:
        post_slack_message(unit.id, target_kind="channel", target_id="C1", text="x")

    assert (raised.value.message, raised.value.retryable) == (
        "The OU is not connected to Slack",
        False,
    )
