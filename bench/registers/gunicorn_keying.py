"""gunicorn settings for the keying benchmark: what each kind of request costs inside the
workers, counted where it runs.

Loaded with `gunicorn -c`, in the master, before the workers fork. For each kind of request
(the bare view, "key the next record", the keying page, a field save, a submission) the
workers add up, in a file they all map (`BENCH_KEYING_FILE`): how many were answered, the
SQL statements their thread sent (savepoints included; BEGIN and COMMIT are not sent
through a cursor) and the CPU time of their thread (`time.thread_time`, so neither the
other threads' work nor the wait for the database counts). The benchmark, another process,
reads the file before and after a load. The time of `actions.next_keying` inside the views
is kept per worker and written beside that file when the worker stops.
"""

from __future__ import annotations

import json
import mmap
import multiprocessing
import os
import re
import struct
import threading
import time

KINDS = ("bare", "next", "page", "field", "submit", "other")
SLOT = struct.Struct("<qqq")  # requests, statements, CPU microseconds

# Read by the benchmark too (for `read` and `KINDS`): the file is made only in gunicorn.
_path = os.environ.get("BENCH_KEYING_FILE", "")
if _path:
    with open(_path, "wb") as _file:
        _file.write(bytes(SLOT.size * len(KINDS)))
    _file = open(_path, "r+b")  # noqa: SIM115 - kept open for the workers' mapping
    _shared = mmap.mmap(_file.fileno(), SLOT.size * len(KINDS))
    # Made before the fork, so all workers share it.
    _lock = multiprocessing.Lock()
_local = threading.local()
_next_times: list[tuple[float, float]] = []  # (when it began, seconds)

_PATHS = (
    ("bare", re.compile(r"^/healthz/?$")),
    ("next", re.compile(r"^/registers/\d+/next/$")),
    ("page", re.compile(r"^/registers/keying/\d+/$")),
    ("field", re.compile(r"^/registers/keying/\d+/field/$")),
    ("submit", re.compile(r"^/registers/keying/\d+/save/$")),
)


def kind_of(path: str) -> str:
    for kind, pattern in _PATHS:
        if pattern.match(path):
            return kind
    return "other"


def read(path: str) -> dict[str, tuple[int, int, float]]:
    """{kind: (requests, statements, CPU seconds)} as the file holds them now."""
    with open(path, "rb") as file:
        data = file.read()
    out = {}
    for n, kind in enumerate(KINDS):
        requests, statements, micros = SLOT.unpack_from(data, n * SLOT.size)
        out[kind] = (requests, statements, micros / 1e6)
    return out


def _count(execute, sql, params, many, context):
    _local.statements = getattr(_local, "statements", 0) + 1
    return execute(sql, params, many, context)


def pre_request(worker, req) -> None:
    _local.statements = 0
    _local.cpu = time.thread_time()


def post_request(worker, req, environ, resp) -> None:
    cpu = time.thread_time() - getattr(_local, "cpu", time.thread_time())
    n = KINDS.index(kind_of(req.path))
    with _lock:
        requests, statements, micros = SLOT.unpack_from(_shared, n * SLOT.size)
        SLOT.pack_into(
            _shared,
            n * SLOT.size,
            requests + 1,
            statements + getattr(_local, "statements", 0),
            micros + int(cpu * 1e6),
        )


def post_worker_init(worker) -> None:
    from django.db.backends.signals import connection_created

    from postgov.registers import actions

    def count_on(sender, connection, **kwargs) -> None:
        # Sent again at each reconnection of the same connection object.
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.append(_count)

    connection_created.connect(count_on, weak=False)

    # "Next record" where it runs: the views look the function up in the module.
    real_next = actions.next_keying

    def next_keying(*args, **kwargs):
        when, began = time.time(), time.perf_counter()
        try:
            return real_next(*args, **kwargs)
        finally:
            _next_times.append((when, time.perf_counter() - began))

    actions.next_keying = next_keying


def worker_exit(server, worker) -> None:
    with open(f"{_path}.next.{os.getpid()}", "w") as file:
        json.dump(_next_times, file)
