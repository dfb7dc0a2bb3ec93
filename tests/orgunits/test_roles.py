"""Who may do what: OU roles, org admins, and members of other organizations."""

import pytest

from tests.api_clients import jwt_client_for
from tests.factories import make_member, make_membership, make_org, make_unit

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orgunits.urls_for_tests")]


@pytest.fixture
def unit():
    return make_unit(name="Sales")


def member_with_role(unit, role):
    member = make_member(unit.org)
    make_membership(unit, member, role)
    return member


def test_viewer_reads_but_cannot_write(unit):
    client = jwt_client_for(member_with_role(unit, "Viewer"), unit)
    assert client.get("/api/v1/_test/whoami").status_code == 200
    response = client.post("/api/v1/_test/whoami")
    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_operator_writes_but_cannot_manage_memberships(unit):
    client = jwt_client_for(member_with_role(unit, "Operator"), unit)
    assert client.post("/api/v1/_test/whoami").status_code == 200
    newcomer = make_member(unit.org)
    response = client.post(
        f"/api/v1/org-units/{unit.id}/memberships",
        {"org_member_id": newcomer.id, "role": "Viewer"},
        format="json",
    )
    assert response.status_code == 403


def test_owner_manages_memberships_idempotently(unit):
    client = jwt_client_for(member_with_role(unit, "Owner"), unit)
    newcomer = make_member(unit.org)
    url = f"/api/v1/org-units/{unit.id}/memberships"
    for _ in range(2):
        response = client.post(url, {"org_member_id": newcomer.id}, format="json")
        assert response.status_code == 200
        assert response.json()["role"] == "Viewer"
    assert [m["org_member_id"] for m in client.get(url).json()].count(newcomer.id) == 1
    changed = client.put(f"{url}/{newcomer.id}", {"role": "Operator"}, format="json")
    assert changed.json()["role"] == "Operator"
    assert client.delete(f"{url}/{newcomer.id}").status_code == 204
    assert client.delete(f"{url}/{newcomer.id}").status_code == 404


def test_the_last_owner_cannot_be_removed_or_demoted(unit):
    owner = member_with_role(unit, "Owner")
    client = jwt_client_for(owner, unit)
    url = f"/api/v1/org-units/{unit.id}/memberships/{owner.id}"
    assert client.put(url, {"role": "Viewer"}, format="json").status_code == 409
    assert client.delete(url).status_code == 409


def test_non_member_cannot_activate_an_ou_of_their_org(unit):
    outsider = make_member(unit.org)
    client = jwt_client_for(outsider)
    response = client.post("/api/v1/org-units/active", {"ouId": unit.id}, format="json")
    assert response.status_code == 403
    client = jwt_client_for(outsider, unit)
    assert client.get("/api/v1/_test/whoami").status_code == 403


def test_org_admin_acts_as_owner_in_every_ou_of_the_org(unit):
    admin = make_member(unit.org, role="admin")
    client = jwt_client_for(admin)
    assert (
        client.post("/api/v1/org-units/active", {"ouId": unit.id}, format="json").json()["role"]
        == "Owner"
    )
    created = client.post("/api/v1/org-units", {"name": "EMEA"}, format="json")
    assert created.status_code == 201
    assert created.json()["slug"] == "emea"


def test_only_org_admins_create_units_and_members(unit):
    client = jwt_client_for(member_with_role(unit, "Owner"))
    assert client.post("/api/v1/org-units", {"name": "X"}, format="json").status_code == 403
    member = {
        "first_name": "A",
        "last_name": "B",
        "email": "ab@x.test",
        "password": "long-enough",
        "role": "member",
    }
    assert client.post("/api/v1/org/members", member, format="json").status_code == 403


def test_member_of_another_organization_sees_nothing(unit):
    stranger_unit = make_unit(make_org())
    stranger = make_member(stranger_unit.org, role="admin")
    make_membership(stranger_unit, stranger, "Owner")
    insider = member_with_role(unit, "Owner")
    client = jwt_client_for(stranger)

    assert (
        client.post("/api/v1/org-units/active", {"ouId": unit.id}, format="json").status_code == 404
    )
    assert (
        client.put(f"/api/v1/org-units/{unit.id}", {"name": "Mine"}, format="json").status_code
        == 404
    )
    assert client.get(f"/api/v1/org-units/{unit.id}/memberships").status_code == 404
    assert (
        client.put(
            f"/api/v1/org/members/{insider.id}", {"first_name": "X"}, format="json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/org/members/{insider.id}").status_code == 404
    units = client.get("/api/v1/org-units").json()["units"]
    assert [u["unit_id"] for u in units] == [stranger_unit.id]
    members = client.get("/api/v1/org/members").json()
    assert [m["org_member_id"] for m in members] == [stranger.id]
    client = jwt_client_for(stranger, unit)
    assert client.get("/api/v1/_test/whoami").status_code == 403


def test_credential_of_another_ou_cannot_be_revoked(unit):
    from tests.factories import make_credential

    other = make_credential(make_unit(unit.org))
    client = jwt_client_for(member_with_role(unit, "Owner"), unit)
    assert client.delete(f"/api/v1/secrets/{other.credential.id}").status_code == 404


def test_member_creation_and_duplicate_email(unit):
    client = jwt_client_for(make_member(unit.org, role="admin"))
    body = {
        "first_name": "Cy",
        "last_name": "D",
        "email": "Cy@Acme.test",
        "password": "long-enough",
        "role": "member",
    }
    created = client.post("/api/v1/org/members", body, format="json")
    assert created.status_code == 201
    assert created.json()["email"] == "cy@acme.test"
    assert "password" not in created.json()
    again = client.post("/api/v1/org/members", {**body, "email": "cy@acme.test"}, format="json")
    assert again.status_code == 409
