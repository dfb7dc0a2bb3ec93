"""The API's JSON parser: DRF's, with the depth limit of `leadvibe.json_depth`."""

import codecs
import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from leadvibe.json_depth import json_parse

# DRF's STRICT_JSON: NaN and the infinities are not JSON.
_STRICT_DECODER = json.JSONDecoder(parse_constant=strict_constant)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's charset check (3.16); djangorestframework-stubs does not list it yet.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_parse(text, decoder=_STRICT_DECODER if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
