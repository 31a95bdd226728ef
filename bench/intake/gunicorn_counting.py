"""gunicorn settings for the intake benchmark: count the SQL statements the workers send.

Loaded with `gunicorn -c`, in the master, before the workers fork. The count lives in a
file mapped by every worker (`BENCH_STATEMENTS_FILE`), so the benchmark, another process,
reads it before and after a load. Counted: every statement Django's cursors execute,
savepoints included; BEGIN and COMMIT are not statements Django sends through a cursor.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os

_path = os.environ["BENCH_STATEMENTS_FILE"]
with open(_path, "wb") as _file:
    _file.write(bytes(8))
_file = open(_path, "r+b")  # noqa: SIM115 - kept open for the workers' mapping
_counter = mmap.mmap(_file.fileno(), 8)
# Made before the fork, so all workers share it.
_lock = multiprocessing.Lock()


def _count(execute, sql, params, many, context):
    with _lock:
        value = int.from_bytes(_counter[:8], "little") + 1
        _counter[:8] = value.to_bytes(8, "little")
    return execute(sql, params, many, context)


def post_worker_init(worker) -> None:
    from django.db.backends.signals import connection_created

    def count_on(sender, connection, **kwargs) -> None:
        # Sent again at each reconnection of the same connection object.
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.append(_count)

    connection_created.connect(count_on, weak=False)
