"""The rules of a linked procedure's members, shared by the admin and the catalog import.

A linked procedure has at least two members, each procedure once, steps from 1. A
member's result may feed only members of a later step: feeding one of the same step
(they run side by side) or an earlier one would make the package wait on itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class MemberSpec:
    procedure: str  # the procedure's national code
    step: int
    feeds: tuple[str, ...] = field(default_factory=tuple)


def member_problems(members: list[MemberSpec]) -> list[str]:
    """What is wrong with these members, in the active language; empty when all is well."""
    problems: list[str] = []
    if len(members) < 2:
        problems.append(_("A linked procedure needs at least two member procedures."))
    by_code: dict[str, MemberSpec] = {}
    for member in members:
        if member.procedure in by_code:
            problems.append(_("Procedure %(code)s is a member twice.") % {"code": member.procedure})
        by_code[member.procedure] = member
        if member.step < 1:
            problems.append(_("Steps are counted from 1 (%(code)s).") % {"code": member.procedure})
    for member in members:
        for target in member.feeds:
            fed = by_code.get(target)
            if fed is None:
                problems.append(
                    _("%(code)s feeds %(target)s, which is not a member.")
                    % {"code": member.procedure, "target": target}
                )
            elif fed.step <= member.step:
                problems.append(
                    _(
                        "%(code)s (step %(step)s) cannot feed %(target)s (step %(target_step)s): "
                        "a result feeds only a later step."
                    )
                    % {
                        "code": member.procedure,
                        "step": member.step,
                        "target": target,
                        "target_step": fed.step,
                    }
                )
    if _has_cycle(members):
        problems.append(_("The members' feeds go round in a circle."))
    return problems


def _has_cycle(members: list[MemberSpec]) -> bool:
    """Feeds only go to later steps, so a cycle cannot pass the step rule; checked on its
    own all the same, so the rule holds whatever the step numbers say."""
    graph = {m.procedure: set(m.feeds) for m in members}
    done: set[str] = set()
    on_path: set[str] = set()

    def visit(code: str) -> bool:
        if code in on_path:
            return True
        if code in done or code not in graph:
            return False
        on_path.add(code)
        if any(visit(next_code) for next_code in graph[code]):
            return True
        on_path.discard(code)
        done.add(code)
        return False

    return any(visit(code) for code in graph)


@dataclass
class LinkedSpec:
    """A linked procedure as a file or the admin gives it."""

    code: str
    name: str
    description: str
    members: list[MemberSpec]

    def same_as(self, other: LinkedSpec) -> bool:
        """The same content, whatever the order of the members and of their feeds."""

        def members(spec: LinkedSpec):
            return sorted((m.procedure, m.step, tuple(sorted(m.feeds))) for m in spec.members)

        return (self.code, self.name, self.description, members(self)) == (
            other.code,
            other.name,
            other.description,
            members(other),
        )


def spec_of(linked) -> LinkedSpec:
    """A stored linked procedure as a spec (export, comparison with a file)."""
    members = list(linked.members.select_related("procedure").prefetch_related("feeds__procedure"))
    return LinkedSpec(
        linked.code,
        linked.name,
        linked.description,
        [
            MemberSpec(
                m.procedure.code,
                m.step,
                tuple(sorted(f.procedure.code for f in m.feeds.all())),
            )
            for m in members
        ],
    )
