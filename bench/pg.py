"""What every PostgreSQL benchmark does first and last: make its own database, set Django
up on it (migrated, with the cache table), and drop it at the end."""

from __future__ import annotations

import os

import psycopg


def admin_connection(server: str) -> psycopg.Connection:
    return psycopg.connect(f"{server}/postgres", autocommit=True)


def recreate(server: str, db: str) -> None:
    """A fresh, empty database."""
    with admin_connection(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def ensure(server: str, db: str) -> None:
    """The database, kept with its rows if it exists (a benchmark that resets its own)."""
    with admin_connection(server) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db}"')


def drop(server: str, db: str) -> None:
    with admin_connection(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def setup_django(server: str, db: str) -> None:
    """Django on `db` as production would run it (no debug, no portal simulator), migrated."""
    os.environ["DATABASE_URL"] = f"{server}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("PORTAL_SIMULATOR", "false")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
