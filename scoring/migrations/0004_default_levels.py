"""Default levels for the OUs that exist already; new OUs get them when they are created
(scoring.services.levels.levels_create_defaults). The values are written out here, as they
were when this migration was made: Cold 0-24, Warm 25-49, Hot 50-74, Very Hot 75+, for each
kind. A kind of an OU that has levels already is left alone."""

from django.db import migrations

KINDS = ("engagement", "profile", "account")
DEFAULT_LEVELS = (("Cold", 0, 24), ("Warm", 25, 49), ("Hot", 50, 74), ("Very Hot", 75, None))


def create_default_levels(apps, schema_editor):
    OrgUnit = apps.get_model("orgunits", "OrgUnit")
    Level = apps.get_model("scoring", "Level")
    levels = []
    for unit in OrgUnit.objects.only("id", "org_id").iterator():
        present = set(Level.objects.filter(unit_id=unit.id).values_list("kind", flat=True))
        levels += [
            Level(
                org_id=unit.org_id,
                unit_id=unit.id,
                kind=kind,
                name=name,
                min_score=min_score,
                max_score=max_score,
            )
            for kind in KINDS
            if kind not in present
            for name, min_score, max_score in DEFAULT_LEVELS
        ]
    Level.objects.bulk_create(levels, batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("orgunits", "0002_organization_rate_limit"),
        ("scoring", "0003_scoring_configuration_and_scores"),
    ]

    operations = [
        migrations.RunPython(create_default_levels, migrations.RunPython.noop),
    ]
