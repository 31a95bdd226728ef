"""The command that gives a project a ready schema or one from a file."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from postgov.registers import actions
from postgov.registers.tests.conftest import png_file


def test_a_ready_schema_replaces_an_unused_version_and_versions_a_used_one(
    project, world, tmp_path, capsys
):
    call_command("register_schema", str(project.pk), "health_insurance", by="admin_qt")
    assert project.current_schema().number == 1
    assert project.current_schema().fields[0]["key"] == "household_code"
    actions.add_batch(
        project, uploaded=png_file(), label="", pages_per_record=1, by=world.provincial_admin
    )
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"fields": project.current_schema().fields[:2]}), encoding="utf-8")
    call_command("register_schema", str(project.pk), str(path), by="admin_qt")
    assert project.current_schema().number == 2 and len(project.current_schema().fields) == 2
    assert "schema version 2" in capsys.readouterr().out


def test_a_bad_schema_file_is_refused(project, tmp_path):
    path = tmp_path / "schema.json"
    path.write_text('[{"key": "x"}]', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("register_schema", str(project.pk), str(path), by="admin_qt")
    with pytest.raises(CommandError):
        call_command(
            "register_schema", str(project.pk), str(tmp_path / "missing.json"), by="admin_qt"
        )
    assert project.current_schema().number == 1
