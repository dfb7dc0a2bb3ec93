"""Request input (query parameters, bodies) read through serializers.

`validated(Serializer, data)` is how a view reads its input: the validated data, or a
`ValidationError` that the API's exception handler renders as a 400.

For query parameters: DRF reads a form value of "" as if the parameter were absent, so
`?range=` silently meant the default while the OpenAPI document (`minLength`, `enum`,
`format`) says it is invalid. Here an empty value is a value like any other and is validated
as such: a 400 unless the field allows blank. A repeatable parameter is a `ListField` and
receives every value given.
"""

from typing import Any

from rest_framework import serializers


def validated(
    serializer_class: type[serializers.Serializer[Any]], data: Any, *, partial: bool = False
) -> Any:
    """`data` validated by `serializer_class`; raises `ValidationError` when it is not valid."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class QueryParameters(serializers.Serializer[Any]):
    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "getlist"):
            data = {
                name: data.getlist(name) if isinstance(field, serializers.ListField) else data[name]
                for name, field in self.fields.items()
                if name in data
            }
        return super().to_internal_value(data)
