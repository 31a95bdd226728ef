"""Role assignments are kept per process with the reference data (`Access.for_user`):
read once, and a revoked or new role counts at once, here and in the other processes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postgov.identity.access import Access
from postgov.identity.models import Role
from postgov.lib import refcache
from tests.personas import build_world, give_role, make_user

# Outside a test transaction: inside one, the cache keeps nothing (uncommitted changes).
pytestmark = pytest.mark.django_db(transaction=True)


def roles_of(user) -> tuple[frozenset, int]:
    with CaptureQueriesContext(connection) as queries:
        access = Access.for_user(user)
    reads = [q for q in queries.captured_queries if "identity_roleassignment" in q["sql"]]
    return access.roles, len(reads)


def test_a_revoked_role_is_gone_at_once_in_this_process():
    world = build_world()
    user = make_user("acc-cache-1", "Trần Thị Kiểm")
    assignment = give_role(user, Role.CLERK, service_point=world.point_a)
    assert roles_of(user) == (frozenset({Role.CLERK}), 1)
    assert roles_of(user) == (frozenset({Role.CLERK}), 0)  # kept
    assignment.active = False
    assignment.save()
    assert roles_of(user) == (frozenset(), 1)
    give_role(user, Role.SUPERVISOR, service_point=world.point_a)
    assert roles_of(user)[0] == frozenset({Role.SUPERVISOR})


def test_a_role_changed_in_another_process_counts_within_a_second(monkeypatch):
    world = build_world()
    user = make_user("acc-cache-2", "Lê Văn Đổi")
    give_role(user, Role.CLERK, service_point=world.point_a)
    assert roles_of(user)[0] == frozenset({Role.CLERK})
    # Another process revoked it: its commit moved the shared generation.
    user.role_assignments.update(active=False)
    cache.set(refcache.SHARED_KEY, (cache.get(refcache.SHARED_KEY) or 0) + 1, timeout=None)
    monkeypatch.setitem(refcache._shared, "checked_at", 0.0)
    assert roles_of(user)[0] == frozenset()


def test_a_deactivated_account_has_no_access_even_with_its_roles_kept():
    world = build_world()
    user = make_user("acc-cache-3", "Phạm Văn Khóa")
    give_role(user, Role.CLERK, service_point=world.point_a)
    assert roles_of(user)[0] == frozenset({Role.CLERK})
    user.is_active = False
    assert Access.for_user(user).roles == frozenset()
