import pytest


@pytest.mark.django_db
def test_healthz_answers_without_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_readyz_reports_unapplied_migrations(client, monkeypatch):
    from postgov import health

    monkeypatch.setattr(health, "_migrations_seen_applied", False)

    class Pending:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda s: []})()})()

        def migration_plan(self, targets):
            return [("places", "0099_future")]

    monkeypatch.setattr(health, "MigrationExecutor", Pending)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "migration" in response.json()["reason"]


@pytest.mark.django_db
def test_readyz_reports_unreachable_database(client, monkeypatch):
    from django.db import OperationalError

    from postgov import health

    class Broken:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: Broken())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"].startswith("database unreachable")
