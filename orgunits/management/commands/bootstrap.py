import json

from django.core.management.base import BaseCommand
from django.core.validators import validate_email

from orgunits.selectors import organizations_exist
from orgunits.services import organization_bootstrap


class Command(BaseCommand):
    help = (
        "Create an organization, an OU, an admin member who owns it and an API credential; "
        "print them as one JSON object. Idempotent for an existing email."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization name")
        parser.add_argument("--ou", required=True, help="organization unit name")
        parser.add_argument("--email", required=True, help="admin member's login email")
        parser.add_argument("--password", required=True, help="admin member's password")
        parser.add_argument(
            "--only-if-empty",
            action="store_true",
            help='do nothing (print {"created": false}) when any organization exists',
        )

    def handle(self, *args, org, ou, email, password, only_if_empty, **options):
        validate_email(email)
        if only_if_empty and organizations_exist():
            self.stdout.write(json.dumps({"created": False}))
            return
        result = organization_bootstrap(org_name=org, ou_name=ou, email=email, password=password)
        self.stdout.write(json.dumps(result.as_dict()))
