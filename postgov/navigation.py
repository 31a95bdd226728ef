"""The menu and the home-page tiles, by role.

Each entry names a URL; an entry whose URL does not exist (a module not installed yet)
is left out, so the menu never shows a dead link.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from postgov.identity.models import POINT_ROLES, Role
from postgov.statemail.actions import holds_a_clearance_today

PUBLIC = "public"
ANONYMOUS = "anonymous"  # not logged in at all (e.g. "create an account")
ANY_STAFF = "staff"


@dataclass(frozen=True)
class Entry:
    label: str | Promise
    url_name: str
    audience: frozenset[str]
    description: str | Promise = ""
    in_menu: bool = True
    # Reference pages everyone may open; staff find them under one "Look up" menu so that
    # their own work stays on the first level.
    lookup: bool = False
    # A further test for entries that depend on more than a role (a clearance, say).
    shown: Callable[..., bool] | None = None


def _cleared(request) -> bool:
    return holds_a_clearance_today(request.user)


def _for(*who: str) -> frozenset[str]:
    return frozenset(who)


ENTRIES: tuple[Entry, ...] = (
    Entry(
        _("New dossier"),
        "dossiers:intake_start",
        _for(Role.CLERK, Role.POSTMAN),
        _("Receive a dossier at the counter: scan the ID card, tick the checklist, seal."),
    ),
    Entry(
        _("My day"),
        "dossiers:today",
        _for(Role.CLERK, Role.SUPERVISOR),
        _("Today's dossiers at your point, drafts and items waiting for dispatch."),
    ),
    Entry(
        _("Pickups"),
        "delivery:pickups",
        _for(Role.POSTMAN, Role.SUPERVISOR),
        _("Home pickups booked by citizens and assigned to postmen."),
    ),
    Entry(
        _("My route today"),
        "carriage:route",
        _for(Role.POSTMAN),
        _("Today's pickups and deliveries in the order to visit them."),
    ),
    Entry(
        _("Manifests"),
        "carriage:manifests",
        _for(Role.POSTMAN, Role.SUPERVISOR),
        _("Carry sealed dossiers to agencies and hand them over."),
    ),
    Entry(
        _("Deliveries"),
        "carriage:deliveries",
        _for(Role.POSTMAN, Role.SUPERVISOR),
        _("Results to deliver and proof of delivery."),
    ),
    Entry(
        _("Agency inbox"),
        "dossiers:agency_inbox",
        _for(Role.AGENCY_RECEIVER, Role.AGENCY_OFFICER),
        _("Dossiers handed over by the post: accept, process, ask for more, publish results."),
    ),
    Entry(
        _("Postal orders"),
        "orders:agency_orders",
        _for(Role.AGENCY_RECEIVER, Role.AGENCY_OFFICER),
        _(
            "Results of dossiers filed online that the post delivers, and originals it "
            "collects from citizens."
        ),
    ),
    Entry(
        _("Postal orders"),
        "orders:point_orders",
        _for(*POINT_ROLES),
        _(
            "Results of dossiers filed online that the post delivers, and originals it "
            "collects from citizens."
        ),
        in_menu=False,
    ),
    Entry(
        _("Supplements"),
        "dossiers:supplements",
        _for(Role.CLERK, Role.SUPERVISOR),
        _("Papers the agencies asked for: receive them and send them on."),
    ),
    Entry(
        _("Integrations"),
        "exchange:integrations",
        _for(Role.AGENCY_OFFICER, Role.PROVINCIAL_ADMIN),
        _("API keys and webhooks of the agencies' own systems."),
        in_menu=False,
    ),
    Entry(
        _("Online services"),
        "assisted:my_day",
        _for(Role.CLERK, Role.SUPERVISOR),
        _("Help citizens use the online public-service portals; the result can come by post."),
    ),
    Entry(
        _("Identity proofing"),
        "identity:proofing_start",
        _for(Role.CLERK, Role.SUPERVISOR),
        _("Check a citizen's ID card in person and raise their PostID account's level."),
    ),
    Entry(
        _("Waiting room"),
        "queues:points",
        _for(Role.CLERK, Role.SUPERVISOR),
        _("Queue tickets, the counters' calls, appointments and the day's waiting times."),
    ),
    Entry(
        _("State mail"),
        "statemail:items",
        frozenset(POINT_ROLES),
        _("Confidential State mail: accept, hand over and deliver with a chain of custody."),
        shown=_cleared,
    ),
    Entry(
        _("State-mail clearances"),
        "statemail:clearances",
        _for(Role.SUPERVISOR, Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN),
        _("Who may handle confidential State mail, at which level, until when."),
        in_menu=False,
    ),
    Entry(
        _("Dashboards"),
        "reports:dashboard",
        _for(
            Role.SUPERVISOR,
            Role.PROVINCIAL_ADMIN,
            Role.AUDITOR,
            Role.AGENCY_RECEIVER,
            Role.AGENCY_OFFICER,
            Role.NATIONAL_ADMIN,
        ),
        _("Work, deadlines and money across the network."),
    ),
    Entry(
        _("Register digitisation"),
        "registers:projects",
        _for(ANY_STAFF),
        _("Key paper registers twice, blind, and settle the differences beside the scan."),
        in_menu=False,
    ),
    Entry(
        _("Training"),
        "training:classes",
        _for(Role.CLERK, Role.POSTMAN, Role.SUPERVISOR, Role.PROVINCIAL_ADMIN),
        _("Practice at the real counter screens on scripted cases; nothing reaches anyone."),
        in_menu=False,
    ),
    Entry(
        _("Audit trail"),
        "audit:events",
        _for(Role.PROVINCIAL_ADMIN, Role.AUDITOR),
        _("Who did what, when: the tamper-evident record."),
    ),
    Entry(
        _("Procedures"),
        "catalog:procedures",
        _for(PUBLIC, ANY_STAFF),
        _("Administrative procedures: documents, fees and time limits."),
        lookup=True,
    ),
    Entry(
        _("Post offices"),
        "places:service_points",
        _for(PUBLIC, ANY_STAFF),
        _("Service points, opening hours and postal codes."),
        lookup=True,
    ),
    Entry(
        _("Agencies"),
        "agencies:agencies",
        _for(PUBLIC, ANY_STAFF),
        _("Agencies and one-stop departments, with their office hours."),
        lookup=True,
    ),
    Entry(
        _("Address converter"),
        "places:convert",
        _for(PUBLIC, ANY_STAFF),
        _("Turn an address from before the 2025 reform into the new units."),
        lookup=True,
    ),
    Entry(
        _("Track a dossier"),
        "dossiers:track",
        _for(PUBLIC),
        _("Follow your dossier with its code and the last digits of your phone."),
    ),
    Entry(
        _("PostID account"),
        "identity:register",
        _for(ANONYMOUS),
        _("One account for public-service portals, confirmed in person at any post office."),
    ),
    Entry(
        _("Book a home pickup"),
        "delivery:book_pickup",
        _for(PUBLIC),
        _("A postman comes to your house to collect your dossier."),
    ),
    Entry(
        _("Administration"),
        "admin:index",
        _for(Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN),
        _("Reference data, tariffs, staff and roles."),
        in_menu=False,
    ),
)


def entries_for(request) -> list[tuple[Entry, str]]:
    access = request.access
    if access.is_staff_member:
        audience = set(access.roles) | {ANY_STAFF}
    elif request.user.is_authenticated:
        audience = {PUBLIC}
    else:
        audience = {PUBLIC, ANONYMOUS}
    result = []
    for entry in ENTRIES:
        if not entry.audience & audience:
            continue
        if entry.shown is not None and not entry.shown(request):
            continue
        if url := _url(entry.url_name, get_script_prefix(), get_urlconf(settings.ROOT_URLCONF)):
            result.append((entry, url))
    return result


@functools.lru_cache(maxsize=512)
def _url(name: str, _prefix: str, _urlconf: object) -> str:
    """The entry's address, worked out once per process (the prefix and the URL
    configuration are part of the key, so a change of either is seen); "" for a URL
    that does not exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def navigation(request) -> dict:
    if not hasattr(request, "access"):
        return {}
    shown = [(e, url) for e, url in entries_for(request) if e.in_menu]
    if not request.access.is_staff_member:
        return {"nav_entries": shown, "nav_lookup": []}
    return {
        "nav_entries": [(e, url) for e, url in shown if not e.lookup],
        "nav_lookup": [(e, url) for e, url in shown if e.lookup],
    }
