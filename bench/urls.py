"""The product's URL conf plus `/bench/insert`: the ceiling a view can reach on this server,
one row inserted with raw SQL and nothing else (no auth, no validation, no ORM)."""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from leadvibe.urls import urlpatterns as product_urlpatterns

CEILING_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_ceiling (
    id bigserial PRIMARY KEY,
    event_type varchar(100) NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    metadata jsonb NOT NULL
)
"""


@csrf_exempt
def insert_one(request):
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_ceiling (event_type, metadata) VALUES (%s, %s) RETURNING id",
            [body["event_type"], json.dumps(body.get("metadata", {}))],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=202)


urlpatterns = [path("bench/insert", insert_one), *product_urlpatterns]
