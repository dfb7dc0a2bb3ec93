"""Test data built through the services, the way the product builds it."""

import itertools

from orgunits.services import (
    IssuedCredential,
    api_credential_create,
    member_create,
    org_unit_create,
    organization_create,
    ou_membership_assign,
)

_sequence = itertools.count(1)


def make_org(name: str | None = None):
    return organization_create(name=name or f"Org {next(_sequence)}")


def make_unit(org=None, name: str | None = None):
    return org_unit_create(org=org or make_org(), name=name or f"Unit {next(_sequence)}")


def make_member(
    org=None, *, email: str | None = None, password: str = "a-long-password", role: str = "member"
):
    return member_create(
        org=org or make_org(),
        email=email or f"member{next(_sequence)}@example.com",
        password=password,
        role=role,
    )


def make_membership(unit, member, role: str = "Viewer"):
    return ou_membership_assign(unit=unit, member=member, role=role)


def make_credential(unit=None, name: str = "test") -> IssuedCredential:
    return api_credential_create(unit=unit or make_unit(), name=name)
