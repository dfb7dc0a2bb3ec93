"""Lead writes; events find their leads in event_store."""

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from leadvibe.exceptions import ConflictError
from orgunits.models import OrgUnit
from scoring.extension_points import LEAD_METADATA_CHANGED, LeadMetadataChanged
from scoring.fit.services.scores import lead_profile_created
from scoring.models import Account, Lead


@dataclass(frozen=True)
class AliasInput:
    kind: str
    raw_value: str


def new_lead_id() -> str:
    return f"ld_{secrets.token_hex(10)}"


def lead_create(
    *, ou: OrgUnit, lead_id: str, metadata: dict, account_id: str | None = None
) -> Lead:
    account = account_get_or_create(ou=ou, account_id=account_id) if account_id else None
    try:
        with transaction.atomic():
            lead = Lead.objects.create(
                org_id=ou.org_id, unit=ou, lead_id=lead_id, metadata=metadata, account=account
            )
            lead_profile_created(lead)
            LEAD_METADATA_CHANGED.publish(
                LeadMetadataChanged(unit_id=ou.pk, lead_pks=(lead.pk,), cause="created")
            )
    except IntegrityError as exc:
        raise ConflictError(f"Lead {lead_id!r} already exists") from exc
    return lead


def account_get_or_create(*, ou: OrgUnit, account_id: str) -> Account:
    account, _ = Account.objects.for_ou(ou).get_or_create(
        unit=ou, account_id=account_id, defaults={"org_id": ou.org_id}
    )
    return account
