"""S10 serial numbers for postal items.

Every item in the country takes a serial from one counter per service indicator: on
PostgreSQL a sequence, which hands out numbers without locking anything until commit (a
rolled-back intake leaves a gap, which S10 allows: an identifier is never reused, it need
not be consecutive). Before, a counter row locked until each sealing transaction
committed made every clerk in the country wait for every other. SQLite, which has one
writer at a time anyway, keeps the `ItemSerial` row.
"""

from __future__ import annotations

import re

from django.db import connection, transaction

from postgov.delivery.models import ItemSerial
from postgov.lib.counters import bump

MAX_SERIAL = 99_999_999
_ready: set[str] = set()


def sequence_name(indicator: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", indicator):
        raise ValueError("the service indicator must be two capital letters")
    return f"delivery_s10_serial_{indicator.lower()}"


def take(indicator: str, count: int) -> list[int]:
    """`count` new serials for `indicator`, in increasing order."""
    if connection.vendor != "postgresql":
        last = bump(ItemSerial, by=count, service_indicator=indicator)
        return list(range(last - count + 1, last + 1))
    name = sequence_name(indicator)
    with connection.cursor() as cursor:
        if name not in _ready:
            ensure_sequence(cursor, indicator)
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [name, count])
        return sorted(row[0] for row in cursor.fetchall())


def create_sequence_sql(indicator: str, last_given: int) -> str:
    """The DDL of the indicator's sequence, starting after `last_given`. DDL takes no
    parameters: the name is checked and the numbers are integers."""
    return (
        f'CREATE SEQUENCE IF NOT EXISTS "{sequence_name(indicator)}" '
        f"START WITH {int(last_given) + 1} MAXVALUE {MAX_SERIAL}"
    )


def ensure_sequence(cursor, indicator: str) -> None:
    """Create the indicator's sequence if missing, starting after the last serial the
    `ItemSerial` row gave, so nothing is ever given twice. Migrations create it for the
    configured indicator; this covers an indicator configured later."""
    name = sequence_name(indicator)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if not cursor.fetchone()[0]:
        row = ItemSerial.objects.filter(service_indicator=indicator).first()
        cursor.execute(create_sequence_sql(indicator, row.last_value if row else 0))
        # Known to exist only once that commits.
        transaction.on_commit(lambda: _ready.add(name))
    else:
        _ready.add(name)
