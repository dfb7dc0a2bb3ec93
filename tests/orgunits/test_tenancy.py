"""Tenancy cannot be forgotten: every OU-owned table is an OUOwnedModel, and a query of one that
starts neither from `for_ou` nor from `unscoped` raises."""

import pytest
from django.apps import apps
from django.db import models

from orgunits.models import OrgUnit
from orgunits.tenancy import OUOwnedManager, OUOwnedModel, UnscopedQueryError
from scoring.models import Lead, LeadAlias
from scoring.services.leads import lead_create
from tests.factories import make_unit

pytestmark = pytest.mark.django_db


def _owned_by_an_ou(model: type[models.Model]) -> bool:
    return any(field.related_model is OrgUnit for field in model._meta.concrete_fields)


def test_every_model_with_a_unit_is_ou_owned_and_guarded():
    owned = [model for model in apps.get_models() if _owned_by_an_ou(model)]
    assert len(owned) > 30  # the walk sees the apps' models
    assert [m.__name__ for m in owned if not issubclass(m, OUOwnedModel)] == []
    assert [m.__name__ for m in owned if not isinstance(m._default_manager, OUOwnedManager)] == []


def test_a_query_that_names_no_tenant_raises():
    ou = make_unit()
    lead_create(ou=ou, lead_id="l1", metadata={})
    unscoped_queries = [
        lambda: list(Lead.objects.all()),
        lambda: Lead.objects.filter(lead_id="l1").first(),
        lambda: Lead.objects.get(lead_id="l1"),
        lambda: Lead.objects.filter(unit=ou).count(),
        lambda: Lead.objects.filter(unit=ou).exists(),
        lambda: Lead.objects.values_list("id", flat=True)[:1][0],
        lambda: Lead.objects.filter(lead_id="l1").update(metadata={}),
        lambda: Lead.objects.filter(lead_id="nobody").delete(),
        lambda: Lead.objects.get_or_create(unit=ou, lead_id="l1"),
    ]
    for query in unscoped_queries:
        with pytest.raises(UnscopedQueryError, match="Lead query without a tenant"):
            query()


def test_for_ou_and_unscoped_are_the_ways_in():
    ou, other = make_unit(), make_unit()
    lead = lead_create(ou=ou, lead_id="l1", metadata={})
    lead_create(ou=other, lead_id="l1", metadata={})
    assert list(Lead.objects.for_ou(ou).values_list("pk", flat=True)) == [lead.pk]
    assert Lead.objects.for_ou(ou.pk).filter(lead_id="l1").get() == lead
    assert Lead.objects.for_ou(other).filter(pk=lead.pk).exists() is False
    assert Lead.objects.unscoped().filter(lead_id="l1").count() == 2
    # Scoping survives chaining, and a row's related managers are scoped by the row.
    assert Lead.objects.for_ou(ou).order_by("id").filter(lead_id="l1").count() == 1
    assert LeadAlias.objects.for_ou(ou).count() == lead.aliases.count()
    # Django's own lookups use the plain base manager.
    lead.refresh_from_db()
    assert LeadAlias(lead_id=lead.pk).lead == lead
