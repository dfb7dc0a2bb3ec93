"""Running one piece of test work in several threads at once, as concurrent requests or
workers would: each thread on its own database connection, closed when it ends."""

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

Result = TypeVar("Result")


def run_in_threads(
    work: Callable[[int], Result], *, count: int, start_together: bool = False
) -> list[Result]:
    """Calls `work(0)` … `work(count - 1)`, each in its own thread, and waits for all of them.
    With `start_together` every call waits at a barrier until all threads are up. Returns the
    results in the order the calls finished; the first exception a call raised is raised here."""
    start = threading.Barrier(count, timeout=10)
    results: list[Result] = []
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            if start_together:
                start.wait()
            results.append(work(n))
        except Exception as exc:  # re-raised in the caller's thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results
