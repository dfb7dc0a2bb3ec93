"""The OpenAPI document and its docs page, for the product's real URL conf."""

import pytest
from django.core.management import call_command
from django.test import override_settings
from drf_spectacular.drainage import GENERATOR_STATS

pytestmark = pytest.mark.django_db


def test_openapi_schema_and_docs_page(api_client):
    schema = api_client.get("/api/v1/schema", HTTP_ACCEPT="application/json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in schema["paths"]
    docs = api_client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


@override_settings(DEBUG=False)
def test_docs_page_assets_are_served_locally(api_client):
    docs = api_client.get("/api/v1/docs").content.decode()
    asset = docs.split('src="')[1].split('"')[0]
    assert asset.startswith("/static/")
    assert api_client.get(asset).status_code == 200


def test_openapi_schema_has_no_errors_or_warnings(tmp_path):
    GENERATOR_STATS.reset()
    schema_file = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--urlconf",
        "leadvibe.urls",
        "--file",
        str(schema_file),
    )
    assert "openapi: 3" in schema_file.read_text()
