"""`postgov.lib.forms.ModelChoiceField`: rows the view holds are not read again, and a
queryset given by `queryset_from` is built only when used, then behaves as Django's."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postgov.lib.forms import ModelChoiceField
from postgov.places.models import Commune, Province

pytestmark = pytest.mark.django_db


class CommuneForm(forms.Form):
    commune = ModelChoiceField(queryset=Commune.objects.none())

    def __init__(self, *args, province_id, built: list, **kwargs):
        super().__init__(*args, **kwargs)

        def communes():
            built.append(1)
            return Commune.objects.filter(province_id=province_id).order_by("code")

        self.fields["commune"].queryset_from(communes)


def test_a_held_choice_builds_and_reads_nothing(world):
    commune = Commune.objects.filter(province=world.province).first()
    built: list = []
    form = CommuneForm({"commune": commune.pk}, province_id=world.province.pk, built=built)
    form.fields["commune"].known(commune)
    with CaptureQueriesContext(connection) as queries:
        assert form.is_valid()
    assert form.cleaned_data["commune"] is commune
    assert built == [] and len(queries) == 0


def test_other_choices_are_looked_up_in_the_queryset_built_on_first_use(world):
    inside = Commune.objects.filter(province=world.province).first()
    elsewhere = Province.objects.create(code="98", name="Tỉnh Khác", short_name="Khác")
    outside = Commune.objects.create(
        code="98001", province=elsewhere, name="Xã Ngoài", short_name="Ngoài", kind="xa"
    )
    built: list = []
    form = CommuneForm({"commune": inside.pk}, province_id=world.province.pk, built=built)
    assert form.is_valid() and form.cleaned_data["commune"] == inside
    assert built == [1]
    form = CommuneForm({"commune": outside.pk}, province_id=world.province.pk, built=[])
    assert not form.is_valid() and "commune" in form.errors


def test_the_options_come_from_the_queryset_given(world):
    form = CommuneForm(province_id=world.province.pk, built=[])
    html = str(form["commune"])
    for commune in Commune.objects.filter(province=world.province):
        assert f'value="{commune.pk}"' in html
    assert (
        len(form.fields["commune"].choices)
        == 1 + Commune.objects.filter(province=world.province).count()
    )
