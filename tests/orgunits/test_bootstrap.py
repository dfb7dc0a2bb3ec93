import hashlib
import io
import json

import pytest
from django.core.management import call_command

from orgunits.models import ApiCredential, Member, Organization, OUMembership

pytestmark = pytest.mark.django_db


def bootstrap(**options) -> dict:
    out = io.StringIO()
    call_command("bootstrap", stdout=out, **options)
    return json.loads(out.getvalue())


ARGS = {"org": "Acme", "ou": "Marketing", "email": "Owner@Acme.test", "password": "s3cret-pass"}


def test_bootstrap_creates_org_ou_owner_and_credential():
    result = bootstrap(**ARGS)

    assert result["created"] is True
    member = Member.objects.get(id=result["org_member_id"])
    assert member.email == "owner@acme.test"
    assert member.role == "admin"
    assert member.check_password("s3cret-pass")
    membership = OUMembership.objects.unscoped().get(member=member)
    assert (membership.unit_id, membership.role) == (result["ou_id"], "Owner")
    assert membership.unit.org_id == result["org_id"]
    credential = ApiCredential.objects.unscoped().get(client_id=result["client_id"])
    assert credential.unit_id == result["ou_id"]
    assert credential.secret_hash == hashlib.sha256(result["client_secret"].encode()).hexdigest()
    assert result["client_secret"] not in credential.secret_hash


def test_bootstrap_is_idempotent_for_an_existing_email():
    first = bootstrap(**ARGS)
    again = bootstrap(**{**ARGS, "email": "owner@acme.test", "password": "other"})

    assert again["created"] is False
    for key in ("org_id", "ou_id", "org_member_id", "client_id"):
        assert again[key] == first[key]
    assert again["client_secret"] is None
    assert Organization.objects.count() == 1
    assert ApiCredential.objects.unscoped().count() == 1
    assert Member.objects.get().check_password("s3cret-pass")


def test_only_if_empty_does_nothing_when_an_organization_exists():
    bootstrap(**ARGS)
    result = bootstrap(**{**ARGS, "email": "second@acme.test", "only_if_empty": True})
    assert result == {"created": False}
    assert Member.objects.count() == 1


def test_bootstrap_rejects_an_invalid_email():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        bootstrap(**{**ARGS, "email": "not-an-email"})
