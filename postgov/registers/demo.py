"""The demo's digitisation workroom: one project per ready schema in Quảng Trị, managed by
the provincial administrator; the two counter clerks key, the supervisor settles. The
population register gets a few drawn pages to key."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from postgov.identity.models import User
from postgov.places.models import Province
from postgov.registers import actions, schemas
from postgov.registers.models import Membership, Project

PROVINCE = "44"
MANAGER = "quantri.qt"
OPERATORS = ("gdv.donghoi", "gdv.dongha")
VERIFIER = "giamsat.donghoi"
# What the drawn pages of the population register say, one person a page.
PEOPLE = (
    ("Nguyen Van An", "12/05/1985", "Nam", "045085000123", "Phuong 1, Dong Ha"),
    ("Tran Thi Bich", "1962", "Nu", "", "Phuong Dong Ha"),
    ("Le Van Cuong", "03/2001", "Nam", "045201000456", "Xa Cam Lo"),
    ("Pham Thi Dao", "27/11/1990", "Nu", "045190000789", "Phuong Dong Hoi"),
)


def _pages() -> SimpleUploadedFile:
    frames = []
    for name, born, gender, number, place in PEOPLE:
        image = Image.new("RGB", (1000, 700), (250, 247, 236))
        draw = ImageDraw.Draw(image)
        lines = ["SO HO KHAU", f"Ho va ten: {name}", f"Sinh: {born}   Gioi tinh: {gender}"]
        lines += [f"So CCCD: {number or '-'}", f"Thuong tru: {place}", "Quan he: chu ho"]
        for row, text in enumerate(lines):
            draw.text((60, 60 + 70 * row), text, fill=(30, 30, 60))
        frames.append(image)
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return SimpleUploadedFile("so-ho-khau-demo.tif", out.getvalue(), content_type="image/tiff")


def load_demo() -> str:
    province = Province.objects.filter(code=PROVINCE).first()
    manager = User.objects.filter(username=MANAGER).first()
    if province is None or manager is None:
        return "skipped (no demo province or administrator)"
    created = 0
    for name in schemas.READY:
        ready = schemas.ready_schema(name)
        title = f"{ready['name']['vi']} — Quảng Trị (demo)"
        if Project.objects.filter(name=title).exists():
            continue
        project = actions.create_project(
            by=manager,
            name=title,
            kind=ready["kind"],
            province=province,
            fields=ready["fields"],
            sample_percent=5,
        )
        for username in OPERATORS:
            user = User.objects.filter(username=username).first()
            if user is not None:
                actions.add_member(project, user=user, role=Membership.Role.OPERATOR, by=manager)
        verifier = User.objects.filter(username=VERIFIER).first()
        if verifier is not None:
            actions.add_member(project, user=verifier, role=Membership.Role.VERIFIER, by=manager)
        if name == "population":
            actions.add_batch(
                project, uploaded=_pages(), label="Quyển 1", pages_per_record=1, by=manager
            )
        created += 1
    return f"{created} digitisation project(s) created"
