"""Reads for organizations and OUs."""

from orgunits.models import Organization


def organizations_exist() -> bool:
    return Organization.objects.exists()
