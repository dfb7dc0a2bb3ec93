"""Cost of one HTTP Basic verification of an API credential (the ingest hot path).

Prints the median of many runs, in microseconds, for:
- hash check: SHA-256 of the presented secret compared in constant time with the stored hash
  (what a high-entropy secret allows);
- full verification: `api_credential_authenticate` as a Basic request pays it: the hash check
  against the process's cache of verified credentials (hit), and on a miss the indexed lookup
  by client id in PostgreSQL plus the hash check (at most once per CREDENTIAL_CACHE_SECONDS
  per credential and process);
- baseline: Django's default password hasher (PBKDF2) checking the same secret, what storing
  the secret like a password would cost.

Run: `python bench/auth.py` (starts throwaway embedded PostgreSQL and Redis).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadvibe.settings.test")

import django

django.setup()

import hmac  # noqa: E402

from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402
from django.core.management import call_command  # noqa: E402

from orgunits.services import (  # noqa: E402
    api_credential_authenticate,
    api_credential_create,
    api_credential_hash,
    org_unit_create,
    organization_create,
    verified_credentials,
)


def median_us(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        function()
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1000


def main() -> None:
    call_command("migrate", verbosity=0)
    unit = org_unit_create(org=organization_create(name="Bench"), name="Bench")
    issued = api_credential_create(unit=unit, name="bench")
    client_id, secret = issued.credential.client_id, issued.client_secret
    stored = issued.credential.secret_hash
    pbkdf2 = PBKDF2PasswordHasher()
    encoded = pbkdf2.encode(secret, pbkdf2.salt())

    assert api_credential_authenticate(client_id=client_id, secret=secret) is not None
    hash_check = median_us(lambda: hmac.compare_digest(stored, api_credential_hash(secret)), 20000)
    full = median_us(lambda: api_credential_authenticate(client_id=client_id, secret=secret), 20000)

    def uncached():
        verified_credentials.clear()
        api_credential_authenticate(client_id=client_id, secret=secret)

    miss = median_us(uncached, 2000)
    baseline = median_us(lambda: pbkdf2.verify(secret, encoded), 30)

    print(f"hash check (SHA-256, constant-time compare): {hash_check:10.2f} µs")
    print(f"full verification (cache hit):               {full:10.2f} µs   target < 200 µs")
    print(f"full verification (miss: DB lookup + hash):  {miss:10.2f} µs")
    print(f"baseline: PBKDF2 ({pbkdf2.iterations} iterations):     {baseline:10.2f} µs")
    print(f"PBKDF2 baseline / full verification (cache hit): {baseline / full:,.0f}x")


if __name__ == "__main__":
    main()
