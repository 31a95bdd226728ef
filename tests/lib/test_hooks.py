"""The ordered hook registry: explicit order, each function once."""

import pytest

from postgov.dossiers import actions
from postgov.lib.hooks import Hooks


def first(): ...


def second(): ...


def test_hooks_run_in_their_order_not_the_order_registered():
    hooks = Hooks("test")
    hooks.register(second, order=20)
    hooks.register(first, order=10)
    assert list(hooks) == [first, second]


def test_a_function_registered_twice_runs_once():
    hooks = Hooks("test")
    hooks.register(first, order=10)
    hooks.register(first, order=10)
    assert list(hooks) == [first]


def test_two_functions_cannot_share_an_order():
    hooks = Hooks("test")
    hooks.register(first, order=10)
    with pytest.raises(ValueError, match="order 10"):
        hooks.register(second, order=10)


def test_a_transition_updates_legs_then_tells_the_citizen_then_the_integrations():
    names = [f"{fn.__module__}.{fn.__name__}" for fn in actions.AFTER_TRANSITION]
    assert names == [
        "postgov.dossiers.legs.track_legs",
        "postgov.dossiers.citizen_notices.notify_citizen",
        "postgov.dossiers.actions.ask_for_rating",
        "postgov.dossiers.linked.actions.after_part_step",
        "postgov.exchange.webhooks.queue_webhooks",
        "postgov.exchange.portal.queue_sync",
    ]
