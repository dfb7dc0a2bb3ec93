"""Hostile request targets against the production web server (gunicorn): the bytes are checked
as the client sent them (gunicorn's RAW_URI), and the answer is the API's error shape."""

import http.client
import json

import pytest

from leadvibe.embedded import free_port
from tests.api_clients import credential_authorization
from tests.e2e.processes import start_web, stop_process
from tests.factories import make_credential

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web_port(server_env, tmp_path):
    port = free_port()
    process = start_web(env=server_env, port=port, log_dir=tmp_path, workers=1)
    yield port
    stop_process(process)


# (target, error, details): each answered by the one server the test starts (a start costs
# seconds; the targets do not change what the server is).
HOSTILE_TARGETS = [
    ("/api/v1/leads/%ff", "Invalid path: it is not valid UTF-8", None),
    ("/api/v1/leads/%c0%80", "Invalid path: it is not valid UTF-8", None),
    ("/api/v1/leads/%00", "Invalid path: it contains a NUL character", None),
    (
        "/api/v1/events/export?metadata=k:%00",
        "Invalid query string: it contains a NUL character",
        {"metadata": ["Must not contain a NUL character."]},
    ),
]


def test_the_real_server_refuses_bytes_no_view_can_use(web_port):
    authorization = credential_authorization(make_credential())
    for target, error, details in HOSTILE_TARGETS:
        connection = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)
        connection.request("GET", target, headers={"Authorization": authorization})
        response = connection.getresponse()
        assert response.status == 400, target
        assert response.getheader("Content-Type") == "application/json", target
        expected = {"status": 400, "error": error} | ({"details": details} if details else {})
        assert json.loads(response.read()) == expected, target
        connection.close()
