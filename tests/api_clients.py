"""API clients for tests: the one place that mints Basic credentials and JWTs.

- Basic auth with an OU's API credential is how ingestion is called (`basic_client_for`).
- A member calls with a JWT access token (`token_for`) and names the OU it acts in with the
  X-OU-ID header (`jwt_client_for`); `member_client_for` makes the member first.
A member's client carries the member as `.member`. tests/conftest.py offers the usual four
(`basic_client`, `member_client`, `viewer_client`, `admin_client`) for the `ou` fixture.
"""

import base64

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from orgunits.models import Member, OrgUnit
from orgunits.services import IssuedCredential
from tests.factories import make_member, make_membership


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The Authorization header value of Basic auth."""
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def credential_authorization(issued: IssuedCredential) -> str:
    return basic_authorization(issued.credential.client_id, issued.client_secret)


def token_for(member: Member) -> str:
    """A fresh access token of `member`."""
    return str(RefreshToken.for_user(member).access_token)


def bearer_authorization(member: Member) -> str:
    return f"Bearer {token_for(member)}"


def log_in(client: APIClient, *, email: str, password: str):
    """POST /auth/login as a member signs in; the response, whatever it is."""
    return client.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")


def basic_client_for(issued: IssuedCredential) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=credential_authorization(issued))
    return client


def jwt_client_for(member: Member, unit: OrgUnit | None = None) -> APIClient:
    """`member`'s client, acting in `unit` when one is given."""
    client = APIClient()
    headers: dict[str, object] = {"HTTP_AUTHORIZATION": bearer_authorization(member)}
    if unit is not None:
        headers["HTTP_X_OU_ID"] = unit.id
    client.credentials(**headers)
    client.member = member
    return client


def member_client_for(
    unit: OrgUnit, *, role: str = "Operator", org_role: str = "member"
) -> APIClient:
    """A new member of `unit`'s organization acting in `unit`: with `role` there, or as an
    organization admin (who needs no membership) when `org_role` is "admin"."""
    member = make_member(unit.org, role=org_role)
    if org_role != "admin":
        make_membership(unit, member, role)
    return jwt_client_for(member, unit)


def post_event(client: APIClient, event_type: str = "page_view", *, lead: str = "ann", **body):
    """POST /events for the lead with external id `lead`; the 202 response's body."""
    body = {
        "event_type": event_type,
        "aliases": [{"alias_kind": "external_id", "raw_value": lead}],
        **body,
    }
    response = client.post("/api/v1/events", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()
