"""What the demo seed put into an OU, so that wiping it deletes exactly that.

One row per seeded OU (seeding an OU twice is refused until it is wiped). The row lists the
keys of the top-level objects the seed created, by kind; what hangs off them (events,
aliases, scores, rules, firings, memberships) goes with them. Events are also stored with
`source=seed`.
"""

from django.db import models

from orgunits.models import OrgUnit
from orgunits.tenancy import OUOwnedModel


class DemoSeed(OUOwnedModel):
    unit = models.OneToOneField(OrgUnit, primary_key=True, on_delete=models.CASCADE)
    seed = models.BigIntegerField()
    # {kind: [primary key, ...]}, kinds as in demo.services.SEEDED_KINDS.
    created_keys = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.unit_id}: seed {self.seed}"
