"""JSON rendering with RFC 3339 UTC datetimes (`2025-08-15T12:00:00Z`)."""

import datetime

from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

from leadvibe.timefmt import to_rfc3339


class UTCJSONEncoder(JSONEncoder):
    def default(self, obj):
        if isinstance(obj, datetime.datetime):
            return to_rfc3339(obj)
        return super().default(obj)


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = UTCJSONEncoder
