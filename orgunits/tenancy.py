"""Tenancy: every table whose rows belong to one OU is an `OUOwnedModel`, and every query of
it starts from the OU.

Rules:
- `Model.objects.for_ou(ou)` is the entry point of every read and bulk write; it filters by
  the OU before anything else.
- `Model.objects.unscoped()` is the named way past it, for work that is not the request of
  one OU: workers that hold row keys, sweeps across every OU, authentication looking up a
  credential before the OU is known.
- A queryset that went through neither raises `UnscopedQueryError` when it would run, so a
  forgotten scope fails in the tests instead of reading another tenant's rows. Creating rows
  needs no scope (the row names its unit), nor do a row's related managers (`lead.aliases`),
  which are scoped by the row they start from. Django's own lookups (foreign keys, cascades,
  `refresh_from_db`) go through the plain base manager.
- A query used only as a subquery of a scoped one is not checked; raw SQL filters by unit
  itself.
"""

from typing import TYPE_CHECKING, Any, Self

from django.db import models

if TYPE_CHECKING:
    from orgunits.models import Member, OrgUnit


class UnscopedQueryError(Exception):
    """A query of an OU-owned model that started neither from `for_ou` nor `unscoped`."""


class OUOwnedQuerySet(models.QuerySet):
    # None: not scoped yet; "ou", "unscoped" or "owner" (a related manager's rows).
    _scope: str | None = None

    def for_ou(self, ou: "OrgUnit | str") -> Self:
        """The rows of one OU (an OrgUnit or its id: workers hold ids)."""
        scoped = self.filter(unit=ou)
        scoped._scope = "ou"
        return scoped

    def unscoped(self) -> Self:
        """Rows of any OU: only for workers, sweeps and lookups that find the OU."""
        scoped = self._chain()
        scoped._scope = "unscoped"
        return scoped

    def _clone(self) -> Self:
        clone = super()._clone()
        clone._scope = self._scope
        return clone

    def _check_scoped(self) -> None:
        if self._scope is None:
            raise UnscopedQueryError(
                f"{self.model.__name__} query without a tenant: start it from "
                f"{self.model.__name__}.objects.for_ou(ou) (or .unscoped() outside a request)"
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any) -> Any:
        self._check_scoped()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        self._check_scoped()
        return super().count()

    def exists(self) -> bool:
        self._check_scoped()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scoped()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scoped()
        return super().delete()

    def explain(self, **kwargs: Any) -> str:
        self._check_scoped()
        return super().explain(**kwargs)


class OUOwnedManager(models.Manager.from_queryset(OUOwnedQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> OUOwnedQuerySet:
        queryset = super().get_queryset()
        # A related manager (`lead.aliases`, `ruleset.rules`) carries the filter on the row it
        # starts from, which was itself read through the OU.
        if hasattr(self, "core_filters"):
            queryset._scope = "owner"
        return queryset


class OUOwnedModel(models.Model):
    """A row of one OU. Subclasses may redeclare `unit` (a one-to-one key, no index) or drop
    `org` (`org = None`) where the table has no column for it."""

    org = models.ForeignKey("orgunits.Organization", on_delete=models.CASCADE)
    unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.CASCADE)

    objects = OUOwnedManager()

    class Meta:
        abstract = True


class PublicIdMixin:
    """Server-made objects are named `<prefix><bigint key>` in the API (`rs_12`)."""

    ID_PREFIX = ""

    @property
    def public_id(self) -> str:
        return f"{self.ID_PREFIX}{self.pk}"  # type: ignore[attr-defined]

    @classmethod
    def pk_from_public_id(cls, value: str) -> int | None:
        """The key a public id names, or None when it cannot name one of these objects."""
        digits = value.removeprefix(cls.ID_PREFIX)
        if value == digits or not digits.isdigit() or len(digits) > 18:
            return None
        return int(digits)

    def __str__(self) -> str:
        return self.public_id


class ConfigModel(PublicIdMixin, OUOwnedModel):
    """A configuration object of an OU, edited through the API: a public id and who made and
    last changed it."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        "orgunits.Member", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        "orgunits.Member", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    @classmethod
    def authored(cls, *, ou: "OrgUnit", member: "Member | None", **fields: Any) -> Self:
        """A new (unsaved) object of `ou` with `fields`, made by `member`."""
        return cls(org_id=ou.org_id, unit=ou, created_by=member, updated_by=member, **fields)
