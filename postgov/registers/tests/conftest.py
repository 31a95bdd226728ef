from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from postgov.registers import actions, dedup_actions, schemas
from postgov.registers.models import Membership


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run_duplicate_checks() -> list[str]:
    """What the worker does with the checks queued when records settle by agreement: run
    each once, in the order queued; what each found."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=dedup_actions.check_settled_later.module_path,
    ).order_by("enqueued_at")
    found = []
    for result in queued:
        found.append(dedup_actions.check_settled_later.call(*result.args_kwargs["args"]))
        result.status = TaskResultStatus.SUCCESSFUL
        result.save(update_fields=["status"])
    return found


def png_file(name: str = "page.png", pages: int = 1) -> SimpleUploadedFile:
    """A scan: `pages` frames of a TIFF when more than one, else a PNG."""
    frames = [Image.new("RGB", (400, 560), (255, 255, 250 - i)) for i in range(pages)]
    out = io.BytesIO()
    if pages == 1:
        frames[0].save(out, format="PNG")
        return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return SimpleUploadedFile(
        name.replace(".png", ".tif"), out.getvalue(), content_type="image/tiff"
    )


def pdf_bytes(pages: int = 2) -> bytes:
    frames = [Image.new("RGB", (300, 420), "white") for _ in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="PDF", save_all=True, append_images=frames[1:])
    return out.getvalue()


@pytest.fixture
def project(world):
    """A population register of Quảng Trị: clerk_a and clerk_b key, supervisor_a verifies,
    the provincial administrator manages."""
    ready = schemas.ready_schema("population")
    made = actions.create_project(
        by=world.provincial_admin,
        name="Sổ hộ khẩu Đông Hà",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
        sample_percent=0,
    )
    by = world.provincial_admin
    actions.add_member(made, user=world.clerk_a, role=Membership.Role.OPERATOR, by=by)
    actions.add_member(made, user=world.clerk_b, role=Membership.Role.OPERATOR, by=by)
    actions.add_member(made, user=world.postman_a, role=Membership.Role.OPERATOR, by=by)
    actions.add_member(made, user=world.supervisor_a, role=Membership.Role.VERIFIER, by=by)
    return made


@pytest.fixture
def batch(project, world):
    return actions.add_batch(
        project,
        uploaded=png_file(pages=3),
        label="Quyển 1",
        pages_per_record=1,
        by=world.provincial_admin,
    )


GOOD = {
    "full_name": "Nguyễn Văn An",
    "birth_date": "12/5/1985",
    "gender": "male",
    "id_number": "045085000123",
    "ethnicity": "01",
    "home_commune": "Đông Hà",
    "household_head": "head",
    "phone": "0912 345 678",
}
