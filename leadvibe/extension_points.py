"""Extension points: how a lower layer lets a higher one act inside its transaction without
importing it (layering in pyproject.toml: leadvibe <- orgunits <- scoring <- segments <-
triggers).

Inside a layer collaborators call each other directly; a point exists only where the
producer sits below its subscribers. Each point is declared beside its producer
(`orgunits.extension_points`, `scoring.extension_points`) with a frozen dataclass payload and
the order of its subscribers, by name: `subscribe` refuses a name the declaration does not
list, so the order is read in one place, never from INSTALLED_APPS. Apps subscribe from
`AppConfig.ready`.

The contract every subscriber keeps:
- it runs synchronously inside the producer's transaction, after the producer's writes, and
  what it writes commits or rolls back with them: it never commits, never opens another
  connection, and leaves work for after the commit to `transaction.on_commit`;
- an exception it raises aborts the producer (a scored batch stays pending, a decay chunk is
  taken by the next sweep, a merge or an OU creation fails): it raises only for what must
  undo the producer's change;
- it takes locks only after the producer's, in the lock order of `scoring.services.lead_locks`
  (leads, scoring states, events), and works set-based: a payload covers many leads and is
  handled in a few statements, never in one per lead.
"""

from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

Payload = TypeVar("Payload")


class ExtensionPoint(Generic[Payload]):
    """A named point with its subscribers' order; `publish` calls them in that order."""

    def __init__(self, name: str, *, order: tuple[str, ...]) -> None:
        self.name = name
        self.order = order
        self._handlers: dict[str, Callable[[Payload], None]] = {}

    def subscribe(self, subscriber: str, handler: Callable[[Payload], None]) -> None:
        if subscriber not in self.order:
            raise ImproperlyConfigured(
                f"{subscriber!r} is not among the subscribers of {self.name!r} {self.order}: "
                "declare it in the point's order"
            )
        if self._handlers.get(subscriber, handler) is not handler:
            raise ImproperlyConfigured(f"{subscriber!r} already subscribes to {self.name!r}")
        self._handlers[subscriber] = handler

    def publish(self, payload: Payload) -> None:
        for subscriber in self.order:
            handler = self._handlers.get(subscriber)
            if handler is not None:
                handler(payload)
