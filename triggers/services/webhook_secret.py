"""The OU's Standard Webhooks signing secret (`whsec_` + base64 of 24 random bytes).

It is made on first use, readable once (`reveal_webhook_secret`), and rotatable: after a
rotation the previous secret keeps signing beside the new one for `ROTATION_OVERLAP`, so
receivers can switch without dropping deliveries (Standard Webhooks sends one signature
per secret, space-separated)."""

import base64
import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from leadvibe.secrets_at_rest import decrypt_secret, encrypt_secret
from orgunits.models import OrgUnit
from triggers.models import WebhookSecret

ROTATION_OVERLAP = datetime.timedelta(hours=24)


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _locked_secret(unit_id: str) -> WebhookSecret:
    row = WebhookSecret.objects.for_ou(unit_id).select_for_update().first()
    if row is None:
        WebhookSecret.objects.bulk_create(
            [WebhookSecret(unit_id=unit_id, secret_encrypted=encrypt_secret(_new_secret()))],
            ignore_conflicts=True,
        )
        row = WebhookSecret.objects.for_ou(unit_id).select_for_update().get()
    return row


def signing_secrets(unit_id: str) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    while a rotation overlaps."""
    row = WebhookSecret.objects.for_ou(unit_id).first()
    if row is None:
        with transaction.atomic():
            row = _locked_secret(unit_id)
    keys = [decrypt_secret(row.secret_encrypted)]
    if row.previous_secret_encrypted and row.previous_expires_at > timezone.now():
        keys.append(decrypt_secret(row.previous_secret_encrypted))
    return keys


def _description(row: WebhookSecret, secret: str | None) -> dict:
    rotating = row.previous_expires_at is not None and row.previous_expires_at > timezone.now()
    return {
        "secret": secret,
        "revealed_at": row.revealed_at,
        "created_at": row.created_at,
        "rotated_at": row.rotated_at,
        "previous_expires_at": row.previous_expires_at if rotating else None,
    }


@transaction.atomic
def reveal_webhook_secret(unit: OrgUnit) -> dict:
    """The secret the first time it is asked for; afterwards only its dates."""
    row = _locked_secret(unit.id)
    if row.revealed_at is not None:
        return _description(row, None)
    row.revealed_at = timezone.now()
    row.save(update_fields=["revealed_at"])
    return _description(row, decrypt_secret(row.secret_encrypted))


@transaction.atomic
def rotate_webhook_secret(unit: OrgUnit) -> dict:
    """A new secret, shown in this answer only; the old one signs too for a day."""
    row = _locked_secret(unit.id)
    now = timezone.now()
    secret = _new_secret()
    row.previous_secret_encrypted = row.secret_encrypted
    row.previous_expires_at = now + ROTATION_OVERLAP
    row.secret_encrypted = encrypt_secret(secret)
    row.rotated_at = now
    row.revealed_at = now
    row.save()
    return _description(row, secret)
