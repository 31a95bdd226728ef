"""`{{ event.action|action_label }}` and `{{ event.details|detail_lines }}` in templates."""

from django import template

from postgov.audit import labels

register = template.Library()

register.filter("action_label", labels.action_label)
register.filter("detail_lines", labels.detail_lines)


@register.filter
def role_label(value: str) -> str:
    # At call time: the audit trail sits below the apps it names (pyproject's import contracts).
    from postgov.identity.models import Role

    return str(Role(value).label) if value in Role.values else value
