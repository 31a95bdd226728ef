"""Functions other apps hang on a step of this one, called in a fixed order.

An app lower in the dependency order (dossiers) cannot import the apps that must react to
its changes (notices, agency webhooks, the national portal); they register here from their
`AppConfig.ready`. The order is explicit, not the order in which apps happen to load, and a
function registered twice (a second `ready`, a test reloading an app) runs once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable[..., object])


class Hooks(Generic[F]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, tuple[int, F]] = {}

    def register(self, fn: F, *, order: int) -> F:
        """Call `fn` at this step, before the hooks of a higher `order`."""
        key = f"{fn.__module__}.{fn.__qualname__}"
        for other_key, (other_order, _fn) in self._entries.items():
            if other_order == order and other_key != key:
                raise ValueError(f"{self.name}: order {order} is taken by {other_key}")
        self._entries[key] = (order, fn)
        return fn

    def __iter__(self) -> Iterator[F]:
        return iter(fn for _order, fn in sorted(self._entries.values(), key=lambda e: e[0]))

    def __len__(self) -> int:
        return len(self._entries)
