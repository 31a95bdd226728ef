"""Writing to and checking the audit trail."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from postgov.audit.models import AuditChainHead, AuditEvent

CHAIN = "main"
GENESIS_HASH = "0" * 64  # what the first event follows
_HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "role",
    "service_point_id",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "details",
    "ip",
    "prev_hash",
)


class UnknownChainKey(LookupError):
    """An event was chained with a key this process was not given."""


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _hashed_values(event: AuditEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in _HASHED_FIELDS}
    values["at"] = event.at.astimezone(UTC).isoformat()
    return values


def key_id_of(key: str) -> str:
    """A short name for a key that reveals nothing of it, stored on each event."""
    return hmac.new(key.encode(), b"postgov audit chain key id", hashlib.sha256).hexdigest()[:16]


@functools.cache
def _keyring(keys: tuple[str, ...]) -> tuple[str, dict[str, bytes]]:
    return key_id_of(keys[0]), {key_id_of(key): key.encode() for key in keys}


def chain_keys() -> tuple[str, dict[str, bytes]]:
    """The id of the key that chains new events, and every configured key by id."""
    return _keyring(tuple(settings.AUDIT_CHAIN_KEYS))


def plain_hash(event: AuditEvent) -> str:
    """SHA-256 of the event's content: how events were chained before the chain had a key,
    and all that someone without the key can compute."""
    return hashlib.sha256(_canonical(_hashed_values(event))).hexdigest()


def compute_hash(event: AuditEvent) -> str:
    """The event's hash under the scheme it was chained with: HMAC-SHA-256 with the key
    named by `key_id` (which is hashed too), or plain SHA-256 when it has none."""
    if not event.key_id:
        return plain_hash(event)
    key = chain_keys()[1].get(event.key_id)
    if key is None:
        raise UnknownChainKey(event.key_id)
    values = {**_hashed_values(event), "key_id": event.key_id}
    return hmac.new(key, _canonical(values), hashlib.sha256).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind `TRUSTED_PROXIES` reverse proxies (nginx) the socket
    peer is the proxy; each proxy appends the address it saw to X-Forwarded-For, so the
    client is the entry that many places from the right. Entries further left are
    whatever the client chose to send and are never trusted."""
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded: list[str] = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    peer: str | None = request.META.get("REMOTE_ADDR") or None
    return peer


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    details: dict[str, Any] | None = None,
    role: str = "",
    service_point_id: int | None = None,
    agency_id: int | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records, so the
    change and its trace commit or roll back together."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    # Store exactly what will be read back, so the hash can be recomputed from the row.
    clean_details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))
    event = AuditEvent(
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_label=(actor.get_username() if actor is not None else "")[:150],
        role=role,
        service_point_id=service_point_id,
        agency_id=agency_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        details=clean_details,
        ip=client_ip(request),
    )
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)
    else:
        _append([event])
    return event


_batch = threading.local()


@contextmanager
def chained_at_end() -> Iterator[None]:
    """Within this block, `record` collects the events and links them into the chain when
    the block ends — still inside the caller's transaction, so they commit or roll back
    with the change, but the chain's head (which every writer in the network shares) is
    locked only for the last moments of the transaction instead of from its first audit
    record. Used by multi-step actions such as sealing. Nested blocks join the outer one."""
    events = getattr(_batch, "events", None)
    if events is not None:
        mark = len(events)
        try:
            yield
        except BaseException:
            del events[mark:]  # the savepoint that recorded them is rolled back
            raise
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chained_at_end() must be used inside transaction.atomic()")
    _batch.events = []
    try:
        yield
        events = _batch.events
    finally:
        _batch.events = None
    if events:
        _append(events)


def _append(events: list[AuditEvent]) -> None:
    # No savepoint: a failure here is a database error that fails the caller anyway.
    key_id = chain_keys()[0]
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _take_seqs(len(events))
        for event in events:
            event.seq, event.prev_hash, event.key_id = seq, prev_hash, key_id
            event.hash = prev_hash = compute_hash(event)
            seq += 1
        if connection.vendor == "postgresql":
            _insert_and_set_head(events, prev_hash)
        else:
            AuditEvent.objects.bulk_create(events)
            _set_head_hash(prev_hash)


def _head_sql() -> tuple[str, str, str, str]:
    quote = connection.ops.quote_name
    meta = AuditChainHead._meta
    name, last_seq, last_hash = (
        quote(meta.get_field(field).column)  # type: ignore[union-attr,arg-type]
        for field in ("name", "last_seq", "last_hash")
    )
    return quote(meta.db_table), name, last_seq, last_hash


def _take_seqs(count: int) -> tuple[int, str]:
    """Lock the chain's head (created at its first use) and move it on by `count`;
    returns the first sequence number to use and the hash to follow. One statement: the
    head is the one row every writer in the network shares."""
    table, name, last_seq, last_hash = _head_sql()
    # Only quoted names from the model's meta go into the text; values are parameters.
    sql = (
        f"INSERT INTO {table} ({name}, {last_seq}, {last_hash}) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({name}) DO UPDATE SET {last_seq} = {table}.{last_seq} + EXCLUDED.{last_seq} "
        f"RETURNING {last_seq}, {last_hash}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [CHAIN, count, GENESIS_HASH])
        new_last, prev_hash = cursor.fetchone()
    return new_last - count + 1, prev_hash


def _set_head_hash(value: str) -> None:
    table, name, _seq, last_hash = _head_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {last_hash} = %s WHERE {name} = %s", [value, CHAIN])  # noqa: S608


def _insert_and_set_head(events: list[AuditEvent], head_hash: str) -> None:
    """The events' INSERT and the head's new hash in one statement, one round trip instead
    of two: every writer in the network waits for the head's row lock meanwhile. Each
    value is prepared by its model field, exactly as `bulk_create` prepares it, so the
    row read back is the row that was hashed; a data-modifying WITH always runs to its
    end, and the partitioned table routes the rows to their month."""
    quote = connection.ops.quote_name
    meta = AuditEvent._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    pk, seq = quote(str(meta.pk.column)), quote(str(meta.get_field("seq").column))
    table, name, _last_seq, last_hash = _head_sql()
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted names from the models' meta go into the text; values are parameters.
    sql = (
        f"WITH new AS (INSERT INTO {quote(meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(str(f.column)) for f in fields)}) "
        f"VALUES {', '.join([row] * len(events))} RETURNING {pk}, {seq}), "
        f"head AS (UPDATE {table} SET {last_hash} = %s WHERE {name} = %s) "
        f"SELECT {pk}, {seq} FROM new"
    )
    params: list[Any] = [
        field.get_db_prep_save(field.pre_save(event, True), connection)
        for event in events
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, head_hash, CHAIN])
        ids = dict((seq_value, pk_value) for pk_value, seq_value in cursor.fetchall())
    for event in events:
        event.pk = ids[event.seq]
        # As after bulk_create: the row exists, so save() refuses to write it again.
        event._state.adding, event._state.db = False, connection.alias


@dataclass
class ChainProblem:
    seq: int | None
    problem: str

    def __str__(self) -> str:
        return f"#{self.seq}: {self.problem}" if self.seq is not None else self.problem


def verify_chain(
    batch_size: int = 5000, *, keyed_from: int | None = None
) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return how many events were checked and every problem found.

    Events chained before the chain had a key carry plain SHA-256 hashes: they are
    accepted only before the first keyed event (which seals them by its HMAC over the
    last one's hash), and, with `keyed_from`, only before that sequence number — the
    first keyed event, noted once — so that rewriting the whole chain without the key is
    caught too."""
    problems: list[ChainProblem] = []
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    keyed_seen = False
    events = AuditEvent.objects.order_by("seq")
    for event in events.iterator(chunk_size=batch_size):
        checked += 1
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(event.seq, f"sequence jumps from {expected_seq - 1} (rows deleted)")
            )
        if event.prev_hash != expected_prev:
            problems.append(ChainProblem(event.seq, "does not follow the previous event"))
        key_required = keyed_seen or (keyed_from is not None and event.seq >= keyed_from)
        problem = _content_problem(event, key_required)
        if problem:
            problems.append(ChainProblem(event.seq, problem))
        keyed_seen = keyed_seen or bool(event.key_id)
        expected_seq, expected_prev = event.seq + 1, event.hash
    head = AuditChainHead.objects.filter(name=CHAIN).first()
    if head is not None and (head.last_seq, head.last_hash) != (expected_seq - 1, expected_prev):
        problems.append(ChainProblem(None, "the chain ends early: newest events deleted"))
    return checked, problems


def _content_problem(event: AuditEvent, key_required: bool) -> str:
    if not event.key_id:
        if key_required:
            return "chained without the key where the key is required: rewritten without it"
        if plain_hash(event) != event.hash:
            return "content does not match its hash (edited)"
        return ""
    try:
        expected = compute_hash(event)
    except UnknownChainKey:
        return f"chained with key {event.key_id}, which is not configured (AUDIT_CHAIN_KEY)"
    if hmac.compare_digest(expected, event.hash):
        return ""
    with_id = {**_hashed_values(event), "key_id": event.key_id}
    if event.hash in (plain_hash(event), hashlib.sha256(_canonical(with_id)).hexdigest()):
        return "content edited and its hash recomputed without the key"
    return "content does not match its hash (edited)"


def unkeyed_events() -> tuple[int, int | None]:
    """How many events were chained without a key, and the last of them (None: none)."""
    found = AuditEvent.objects.filter(key_id="").aggregate(
        count=models.Count("pk"), last=models.Max("seq")
    )
    return found["count"], found["last"]
