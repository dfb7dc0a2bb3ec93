"""`POST /admin/seed` and `POST /admin/wipe-seed`: the demo data set of the active OU.

Both need a member's JWT and the Owner role in the OU: they fill or empty the whole OU.
"""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from demo.services import WIPE_KINDS, demo_seed, demo_wipe
from orgunits.api.base import ApiView
from orgunits.models import OUMembership


class _OwnerOnlyView(ApiView):
    jwt_only = True
    write_role = OUMembership.Role.OWNER


class DemoSeedView(_OwnerOnlyView):
    class SeedOutput(serializers.Serializer[Any]):
        message = serializers.CharField()
        output = serializers.CharField(help_text="What was created, in words")
        seed = serializers.IntegerField(help_text="The random seed: the same seed, the same data")
        counts = serializers.DictField(
            child=serializers.IntegerField(), help_text="Objects created, by kind"
        )
        sample_lead = inline_serializer(
            "DemoSampleLead",
            {"lead_id": serializers.CharField(), "email": serializers.CharField()},
            help_text="A seeded lead to try the API on",
        )

    @extend_schema(
        request=None,
        responses={201: SeedOutput},
        summary="Seed sample data into the active OU",
        description=(
            "Fills the active OU with the demo data set (the same every time): about 300 "
            "leads with names, companies, titles and aliases; 15 accounts; 30 days of events "
            "over 15 event types (a few bot bursts the seeded inorganic filter suppresses); "
            "two rulesets with rules, a decay rule, the Standard surge policy, a profile "
            "ruleset with rules and mappings, a milestone and a sequence trigger that email, "
            "and three segments over the top engagement levels. The events are stored "
            "pending and scored by the workers within seconds. 409 when the OU holds the "
            "seed already (wipe it first) or ids of it; the OU's own data is left alone."
        ),
    )
    def post(self, request: Request) -> Response:
        ou, member = request.ou, request.member  # type: ignore[attr-defined]
        seeded = demo_seed(ou=ou, member=member)
        counts = seeded.counts
        return Response(
            {
                "message": f"Seeded the demo data set into OU {ou.id}",
                "output": (
                    f"{counts['leads']} leads, {counts['accounts']} accounts and "
                    f"{counts['events']} events (being scored), {counts['rulesets']} rulesets, "
                    f"{counts['triggers']} triggers, {counts['segments']} segments"
                ),
                "seed": seeded.seed,
                "counts": counts,
                "sample_lead": {
                    "lead_id": seeded.sample_lead_id,
                    "email": seeded.sample_lead_email,
                },
            },
            status=status.HTTP_201_CREATED,
        )


class DemoWipeView(_OwnerOnlyView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "DemoWiped", {kind: serializers.IntegerField() for kind in WIPE_KINDS}
        ),
        summary="Wipe sample data from the active OU",
        description=(
            "Deletes exactly what `POST /admin/seed` created in the active OU, with what "
            "hangs off it (a seeded lead's events, also those ingested later; a seeded "
            "trigger's firings), and answers how many of each kind went. The OU's own data "
            "is left alone; all counts are 0 when the OU holds no seed."
        ),
    )
    def post(self, request: Request) -> Response:
        return Response(demo_wipe(ou=request.ou))  # type: ignore[attr-defined]
