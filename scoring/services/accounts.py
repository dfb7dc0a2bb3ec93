"""Account writes (account-based marketing): deleting accounts (POST /accounts/delete).

Deleting accounts unlinks their leads, then deletes the accounts and their scores, in one
transaction. Lock order (scoring.services.lead_locks, then the accounts): the accounts' leads
in id order, then the accounts in id order FOR UPDATE, which keeps any lead from being linked
to them until the transaction ends (linking checks the account's key). A lead linked between
the two steps is locked after the accounts, out of order: such a rare loser of a deadlock is
run again whole (`atomic_retrying_conflicts`).

Unlinking changes what the account rules of segments read of those leads: LEAD_METADATA_CHANGED
is published for them after the writes, inside the transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.db import connection
from django.utils import timezone

from leadvibe.db import atomic_retrying_conflicts
from orgunits.models import OrgUnit
from scoring.extension_points import LEAD_METADATA_CHANGED, LeadMetadataChanged
from scoring.models import Account, AccountScore, Lead
from scoring.services.lead_locks import leads_lock

MAX_DELETE_IDS = 1000


@dataclass(frozen=True)
class AccountsDeleted:
    accounts_deleted: int
    leads_unlinked: int
    account_scores_deleted: int
    not_found: list[str]  # ids the OU has no account of


def accounts_delete(*, ou: OrgUnit, account_ids: Sequence[str]) -> AccountsDeleted:
    """Delete the OU's accounts named by `account_ids` (the client's ids); ids of no account
    of the OU are reported, not an error."""
    return atomic_retrying_conflicts(partial(_delete_locked, ou=ou, account_ids=account_ids))


def _delete_locked(*, ou: OrgUnit, account_ids: Sequence[str]) -> AccountsDeleted:
    found = dict(
        Account.objects.for_ou(ou)
        .filter(account_id__in=set(account_ids))
        .values_list("account_id", "pk")
    )
    account_pks = sorted(found.values())
    linked = Lead.objects.for_ou(ou).filter(account_id__in=account_pks)
    lead_pks = set(linked.values_list("pk", flat=True))
    leads_lock(lead_pks=lead_pks)
    _accounts_lock(account_pks)
    late = set(linked.values_list("pk", flat=True)) - lead_pks
    if late:
        leads_lock(lead_pks=late)
        lead_pks |= late
    unlinked = linked.update(account=None, updated_at=timezone.now())
    scores_deleted, _ = AccountScore.objects.unscoped().filter(account_id__in=account_pks).delete()
    accounts_deleted, _ = Account.objects.for_ou(ou).filter(pk__in=account_pks).delete()
    if lead_pks:
        LEAD_METADATA_CHANGED.publish(
            LeadMetadataChanged(unit_id=ou.pk, lead_pks=tuple(sorted(lead_pks)), cause="updated")
        )
    return AccountsDeleted(
        accounts_deleted=accounts_deleted,
        leads_unlinked=unlinked,
        account_scores_deleted=scores_deleted,
        not_found=sorted(set(account_ids) - found.keys()),
    )


def _accounts_lock(account_pks: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Account._meta.db_table} WHERE id = ANY(%s) "  # noqa: S608
            "ORDER BY id FOR UPDATE",
            [account_pks],
        )
