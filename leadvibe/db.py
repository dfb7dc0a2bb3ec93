"""Model building blocks shared by every app."""

import functools
import secrets

from django.db import models


def new_id(prefix: str) -> str:
    """A readable, unguessable id such as `ou_5f2c0e9b7d1a4c3e8f60a2b1`."""
    return f"{prefix}_{secrets.token_hex(12)}"


class PrefixedIdField(models.CharField):
    """Primary key of server-made ids with a readable prefix (`ev_`, `rs_`, ...)."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("editable", False)
        kwargs["default"] = functools.partial(new_id, prefix)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        kwargs.pop("default", None)
        return name, path, args, kwargs


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
