import pytest

pytestmark = pytest.mark.django_db


def test_healthz(api_client):
    assert api_client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_postgres_and_redis_answer(api_client):
    response = api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "ok", "redis": "ok"}


def test_readyz_is_503_json_when_redis_is_unreachable(api_client, unreachable_redis):
    response = api_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == 503
    assert body["checks"] == {"postgres": "ok", "redis": "unavailable"}
