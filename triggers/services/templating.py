"""Notification templates written by customers (email subject, preheader, message): Django
template syntax over a fixed context of plain values (`lead.id`, `lead.metadata.<key>`,
`score`, `trigger.name`, `trigger.kind`, `event.type`, `event.occurred_at`), rendered by an
engine with no template loaders and no tag libraries beyond the built-ins, so a template can
read nothing but that context. The HTML part is autoescaped; the text part is not."""

import functools
from collections.abc import Mapping
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import VariableDoesNotExist
from django.template.exceptions import TemplateDoesNotExist

MAX_TEMPLATE_LENGTH = 20_000

DEFAULT_SUBJECT = "{{ trigger.name|default:'Lead alert' }}: {{ lead.id }}"
DEFAULT_MESSAGE = (
    "Lead {{ lead.id }} fired {{ trigger.kind }} trigger {{ trigger.name|default:trigger.id }}"
    " with a score of {{ score }}."
)


class NotificationTemplateError(ValueError):
    pass


@functools.cache
def _engine(*, autoescape: bool) -> Engine:
    return Engine(loaders=[], libraries={}, autoescape=autoescape, string_if_invalid="")


def check_template(source: str) -> None:
    """Raises NotificationTemplateError when `source` cannot be a notification template."""
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise NotificationTemplateError(f"at most {MAX_TEMPLATE_LENGTH} characters")
    render_template(source, {}, html=True)  # {% include %} compiles, then finds nothing


def render_template(source: str, context: Mapping[str, Any], *, html: bool) -> str:
    try:
        template = _engine(autoescape=html).from_string(source)
        return template.render(Context(dict(context), autoescape=html))
    except (TemplateSyntaxError, TemplateDoesNotExist, VariableDoesNotExist) as exc:
        raise NotificationTemplateError(str(exc) or type(exc).__name__) from exc
