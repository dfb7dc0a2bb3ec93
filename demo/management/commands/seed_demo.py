import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.dataset import DEFAULT_SEED
from demo.services import demo_seed
from orgunits.models import OrgUnit


class Command(BaseCommand):
    help = (
        "Seed the demo data set into an OU (the only one when --ou is not given) and print "
        "what was created as one JSON object; the workers score its events."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ou", help="the OU's id (ou_...); needed when there are several")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the random seed")

    def handle(self, *args: Any, ou: str | None, seed: int, **options: Any) -> None:
        units = OrgUnit.objects.filter(id=ou) if ou else OrgUnit.objects.all()
        found = list(units[:2])
        if len(found) != 1:
            raise CommandError(
                f"No OU {ou}" if ou else "Name the OU with --ou: there is none, or several"
            )
        seeded = demo_seed(ou=found[0], member=None, seed=seed)
        self.stdout.write(
            json.dumps(
                {
                    "ou_id": found[0].id,
                    "seed": seeded.seed,
                    "counts": seeded.counts,
                    "sample_lead": {
                        "lead_id": seeded.sample_lead_id,
                        "email": seeded.sample_lead_email,
                    },
                }
            )
        )
