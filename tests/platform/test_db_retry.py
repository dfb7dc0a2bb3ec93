"""`atomic_retrying_conflicts`: a transaction that loses a real deadlock is run again and
succeeds (without it, the same deadlock fails one of the two)."""

import threading

import pytest
from django.db import OperationalError, connection, transaction

from leadvibe.db import atomic_retrying_conflicts

pytestmark = pytest.mark.django_db(transaction=True)


def lock_in_order(keys, first_taken: threading.Barrier, runs: list):
    """Takes two advisory locks; on its first run both sessions hold their first lock before
    either asks for its second: a deadlock PostgreSQL breaks by failing one of them."""

    def work():
        runs.append(keys)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [keys[0]])
            if runs.count(keys) == 1:
                first_taken.wait()
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [keys[1]])
        return keys

    return work


def run_both(run) -> tuple[list, list]:
    first_taken = threading.Barrier(2, timeout=10)
    runs, outcomes = [], []

    def session(keys):
        try:
            outcomes.append(run(lock_in_order(keys, first_taken, runs)))
        except OperationalError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=session, args=(keys,)) for keys in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return runs, outcomes


def test_the_transaction_that_loses_a_deadlock_is_run_again_and_succeeds():
    runs, outcomes = run_both(atomic_retrying_conflicts)
    assert sorted(outcomes) == [(1, 2), (2, 1)]
    assert len(runs) == 3  # the loser ran twice


def test_without_the_retry_the_deadlock_fails_one_of_them():
    def once(work):
        with transaction.atomic():
            return work()

    runs, outcomes = run_both(once)
    assert len(runs) == 2
    assert sum(isinstance(outcome, OperationalError) for outcome in outcomes) == 1
