"""Configuration resources, declared once.

A kind of configuration object (a ruleset, a decay rule, a level, a trigger...) is declared as
a `ConfigResource`: the serializers that read and render it, the selector that lists it, the
services that create, update and delete it, and what the OpenAPI document says of it.
`config_resource_urls` produces from the declaration its two routes, each a documented view:

- the collection: GET lists (200; filtered by the declaration's `list_query` parameters, a 400
  when they are invalid), POST creates (201 with the object);
- the item: PUT changes only the fields it is given (200 with the object), DELETE (204).

Selectors and services are called with keywords only: `ou` (and `member` for writes), the
declaration's `scope` (e.g. `kind=`), the route's path parameters and the validated fields
(for the selector: the query parameters given).
They raise domain errors, which the API's one exception handler renders. PUT validates the
input serializer with `partial=True`, so a field left out is neither required nor defaulted;
lists of nested objects use `WholeItemsField`, whose items are validated whole all the same.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.api.query import QueryParameters, validated


# What every configuration object renders besides its own fields: its tenant, and who made
# and last changed it, when. (A comment: a docstring would describe every subclass's
# component in the OpenAPI document.)
class ConfigObjectOutput(serializers.Serializer[Any]):
    org_id = StrictCharField()
    unit_id = StrictCharField()
    created_at = RFC3339DateTimeField()
    updated_at = RFC3339DateTimeField()
    created_by = StrictCharField(
        source="created_by_id", allow_null=True, help_text="Member id; null for API credentials"
    )
    updated_by = StrictCharField(source="updated_by_id", allow_null=True)


@dataclass(frozen=True)
class ResourceDocs:
    """The document's words for a resource: summaries from the nouns ("List scoring
    rulesets (OU-scoped)"), each description from the texts that concern its operation."""

    noun: str
    plural: str = ""  # left out: the noun and an "s"
    about: str = ""  # what the objects do, told by the list and create operations
    on_list: str = ""
    on_create: str = ""
    on_update: str = ""
    on_delete: str = ""
    note: str = ""  # ends every description (a condition every operation shares)


@dataclass(frozen=True)
class ConfigResource:
    name: str  # of its views: `Ruleset` gives RulesetsView and RulesetView
    base: type[APIView]  # resolves the tenant and the caller's role
    input: type[serializers.Serializer[Any]]
    output: type[serializers.Serializer[Any]]
    selector: Callable[..., Iterable[Any]]  # lists them
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    docs: ResourceDocs
    scope: Mapping[str, Any] = field(default_factory=dict)
    # The list's filters: query parameters, passed to the selector when given.
    list_query: type[QueryParameters] | None = None


class ConfigCollectionView(APIView):
    resource: ClassVar[ConfigResource]

    def get(self, request: Request, **params: str) -> Response:
        resource = self.resource
        filters: dict[str, Any] = {}
        if resource.list_query is not None:
            filters = validated(resource.list_query, request.query_params)
        objects = resource.selector(ou=_ou(request), **resource.scope, **params, **filters)
        return Response(resource.output(objects, many=True).data)

    def post(self, request: Request, **params: str) -> Response:
        resource = self.resource
        data = validated(resource.input, request.data)
        created = resource.create(**_writer(request), **resource.scope, **params, **data)
        return Response(resource.output(created).data, status=status.HTTP_201_CREATED)


class ConfigItemView(APIView):
    resource: ClassVar[ConfigResource]

    def put(self, request: Request, **params: str) -> Response:
        resource = self.resource
        data = validated(resource.input, request.data, partial=True)
        updated = resource.update(**_writer(request), **resource.scope, **params, **data)
        return Response(resource.output(updated).data)

    def delete(self, request: Request, **params: str) -> Response:
        resource = self.resource
        resource.delete(ou=_ou(request), **resource.scope, **params)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _ou(request: Request) -> Any:
    return request.ou  # type: ignore[attr-defined]  # set by the base view's `initial`


def _writer(request: Request) -> dict[str, Any]:
    return {"ou": _ou(request), "member": request.member}  # type: ignore[attr-defined]


def config_resource_views(resource: ConfigResource) -> tuple[type[APIView], type[APIView]]:
    """The collection and item views of a resource, documented."""
    docs = resource.docs
    plural = docs.plural or f"{docs.noun}s"
    collection = type(
        f"{resource.name}sView", (resource.base, ConfigCollectionView), {"resource": resource}
    )
    item = type(f"{resource.name}View", (resource.base, ConfigItemView), {"resource": resource})
    documented_collection = extend_schema_view(
        get=extend_schema(
            parameters=[resource.list_query] if resource.list_query else None,
            responses=resource.output(many=True),
            summary=f"List {plural} (OU-scoped)",
            description=_text(docs.on_list, docs.about, docs.note),
        ),
        post=extend_schema(
            request=resource.input,
            responses={201: resource.output},
            summary=f"Create {docs.noun} (OU-scoped)",
            description=_text(docs.on_create, docs.about, docs.note),
        ),
    )(collection)
    documented_item = extend_schema_view(
        put=extend_schema(
            request=resource.input(partial=True),
            responses=resource.output,
            summary=f"Update {docs.noun} (OU-scoped)",
            description=_text("Fields left out keep their values.", docs.on_update, docs.note),
        ),
        delete=extend_schema(
            responses={204: None},
            summary=f"Delete {docs.noun} (OU-scoped)",
            description=_text(docs.on_delete, docs.note),
        ),
    )(item)
    return documented_collection, documented_item


def config_resource_urls(
    resource: ConfigResource, route: str, *, item_parameter: str, names: tuple[str, str]
) -> list[URLPattern]:
    """`route` (the collection) and `route/<item_parameter>` (an item), named `names`."""
    collection, item = config_resource_views(resource)
    return [
        path(route, collection.as_view(), name=names[0]),
        path(f"{route}/<str:{item_parameter}>", item.as_view(), name=names[1]),
    ]


def _text(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part)
