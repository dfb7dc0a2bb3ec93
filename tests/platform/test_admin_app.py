"""The admin app's committed bundle is served at /app/: its page, its client-side routes, its
assets (cached for good), the browser redirects from / and /home, all under the CSP."""

import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)
ONE_YEAR = 365 * 24 * 3600


def page_scripts(html: str) -> list[tuple[str, str]]:
    return SCRIPT.findall(html)


def entry_script_url(html: str) -> str:
    (attributes, _body), *_ = page_scripts(html)
    return re.search(r'src="([^"]+)"', attributes).group(1)


def test_the_app_page_loads_its_hashed_script_and_no_inline_one(api_client):
    response = api_client.get("/app/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    scripts = page_scripts(html)
    assert scripts, "the page loads no script"
    for attributes, body in scripts:
        assert not body.strip(), f"inline script: {body[:80]}"
        assert 'type="module"' in attributes
    assert re.fullmatch(r"/app/assets/index-[\w-]{8}\.js", entry_script_url(html))
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in response["Content-Security-Policy"]


def test_client_side_routes_answer_the_app_page_uncached(api_client):
    app_page = api_client.get("/app/").content
    for path in ("/app/leads/ld_x", "/app/scoring/rulesets/rs_1/rules", "/app/signin"):
        response = api_client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert response.content == app_page
        assert response["Cache-Control"] == "no-cache"


def test_assets_are_served_with_long_cache_headers(api_client):
    script_url = entry_script_url(api_client.get("/app/").content.decode())
    response = api_client.get(script_url)
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert max_age >= ONE_YEAR
    assert "immutable" in response["Cache-Control"]


def test_a_missing_asset_is_a_json_404_not_the_app_page(api_client):
    response = api_client.get("/app/assets/index-00000000.js")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "error": "Not Found"}


@pytest.mark.parametrize("path", ["/", "/home"])
def test_browsers_are_sent_to_the_app_with_their_query(api_client, path):
    response = api_client.get(f"{path}?slack=connected", HTTP_ACCEPT="text/html")
    assert response.status_code == 302
    assert response["Location"] == "/app/?slack=connected"


def test_json_callers_of_root_and_home_keep_their_answers(api_client):
    assert api_client.get("/", HTTP_ACCEPT="application/json").json() == {"status": "ok"}
    assert api_client.get("/home").json() == {"status": "ok", "page": "home"}


def test_the_app_path_without_a_slash_gets_one(api_client):
    response = api_client.get("/app", HTTP_ACCEPT="text/html")
    assert response.status_code == 301
    assert response["Location"] == "/app/"
