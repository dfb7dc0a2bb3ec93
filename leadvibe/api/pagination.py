"""Pagination helpers for the two envelope styles of the API.

- envelope: `{"<items key>": [...], "total": n, "page": p, "limit": l}`;
- bare list: `[...]` with the total in the `X-Total-Count` header.

`page` in `1..1,000,000` (default 1) and `limit` in `1..500` (default 50); anything else is a
400 (a page past the end is an empty page; an unbounded one would overflow the SQL OFFSET).
"""

from dataclasses import dataclass

from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.query import validated

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def slice(self, queryset):
        return queryset[self.offset : self.offset + self.limit]


class PageParamsSerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


def page_request_from(query_params) -> PageRequest:
    params = {key: query_params[key] for key in ("page", "limit") if key in query_params}
    return PageRequest(**validated(PageParamsSerializer, params))


def envelope_response(items: list, *, key: str, total: int, page: PageRequest) -> Response:
    return Response({key: items, "total": total, "page": page.page, "limit": page.limit})


def bare_list_response(items: list, *, total: int) -> Response:
    return Response(items, headers={"X-Total-Count": str(total)})
