"""`{{ booking.address|address_with:booking.commune }}`: an address printed once."""

from django import template

from postgov.places.addresses import one_line
from postgov.places.models import Commune, Province

register = template.Library()


@register.filter
def address_with(street: str, unit: Commune | Province | None) -> str:
    if isinstance(unit, Province):
        return one_line(street, None, unit)
    return one_line(street, unit)
