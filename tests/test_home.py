"""The home page shows each person the tiles of their roles, and nothing else."""

from django.urls import reverse

HOME = reverse("home")


def test_anonymous_sees_public_tiles_only(client, world):
    body = client.get(HOME).content.decode()
    assert reverse("catalog:procedures") in body
    assert reverse("audit:events") not in body


def test_auditor_sees_the_audit_trail(client, auditor):
    client.force_login(auditor)
    assert reverse("audit:events") in client.get(HOME).content.decode()


def test_clerk_does_not_see_the_audit_trail(client, clerk_a):
    client.force_login(clerk_a)
    assert reverse("audit:events") not in client.get(HOME).content.decode()


def test_admin_site_is_for_provincial_admins_only(client, clerk_a, outsider, provincial_admin):
    for person in (clerk_a, outsider):
        client.force_login(person)
        assert client.get("/admin/").status_code == 302  # to the admin login
    client.force_login(provincial_admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/places/servicepoint/").status_code == 200


def test_english_is_available(client, world):
    client.post(reverse("set_language"), {"language": "en", "next": HOME})
    assert "Log in" in client.get(reverse("identity:login")).content.decode()


def test_a_citizen_gets_their_own_links_not_a_word_about_staff_roles(client, citizen):
    client.force_login(citizen)
    body = client.get(HOME).content.decode()
    for name in ("mine:dossiers", "mine:pickups", "identity:account"):
        assert f'href="{reverse(name)}"' in body
    assert "vai trò nhân viên" not in body and "staff role" not in body
