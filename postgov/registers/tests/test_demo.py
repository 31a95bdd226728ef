"""The demo's workroom: a project per ready schema, scans to key, loaded twice."""

from __future__ import annotations

from postgov.demo import load_demo
from postgov.registers import actions
from postgov.registers.models import Project, Record


def test_the_demo_has_a_project_per_ready_schema_and_loads_twice(db):
    lines = []
    load_demo(log=lines.append)
    assert any("3 digitisation project(s) created" in line for line in lines)
    assert Project.objects.count() == 3
    assert Record.objects.count() == 4
    population = Project.objects.get(kind="population")
    clerk = population.members.get(user__username="gdv.donghoi").user
    assert actions.next_keying(population, clerk) is not None
    load_demo(log=lines.append)
    assert Project.objects.count() == 3 and Record.objects.count() == 4
