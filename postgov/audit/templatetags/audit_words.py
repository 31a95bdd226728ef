"""`{{ event.action|action_label }}` and `{{ event.details|detail_lines }}` in templates."""

from django import template

from postgov.audit import labels, registry

register = template.Library()

register.filter("action_label", labels.action_label)
register.filter("detail_lines", labels.detail_lines)


@register.filter
def role_label(value: str) -> str:
    return registry.value_label("role", value) or value
