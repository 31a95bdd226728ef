"""The places demo on top of the personas' small world: other apps' tests do both."""

from postgov.places.demo import load_demo
from postgov.places.models import Commune, Province, ServicePoint


def test_the_demo_completes_the_world_without_breaking_it(world):
    summary = load_demo()
    assert "20 created" in summary
    assert Province.objects.count() == 34 and Commune.objects.count() == 3321
    world.point_a.refresh_from_db()
    assert world.point_a.commune.name == "Phường Đông Hà"
    assert ServicePoint.objects.get(code="QT-002").commune_id == world.commune_a.pk
    assert "0 created, 0 updated" in load_demo()
