"""Our OAuth2Validator: where DOT/oauthlib ask questions, PostID answers.

Extends DOT for: client authentication methods bound to the registration (incl.
private_key_jwt), PKCE required for public clients, single-use codes (redeemed only once
every check passed) whose reuse revokes what they issued, refresh-token reuse audit,
auth_time/acr/amr from the login, pairwise subjects, scope-limited claims, ID tokens
signed with the rotating key by kid.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from jwcrypto import jws, jwt
from jwcrypto.common import JWException
from oauth2_provider.exceptions import FatalClientError
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_id_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from postgov.audit.actions import record
from postgov.identity.models import AuthorizationCode, RelyingParty
from postgov.identity.oidc import client_auth
from postgov.identity.oidc.claims import (
    SERVICE_SCOPES,
    claims_for_scopes,
    is_service_client,
    issuer,
    subject_for,
)
from postgov.identity.oidc.keys import verification_jwk

log = logging.getLogger("postgov.identity.oidc")
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()
# What a refresh grant reads of the presented token, its access token and its user: 15
# columns of 52, in one statement written out (`_refresh_read`) rather than compiled by the
# ORM at every grant, the busiest read of the token endpoint. What the grant needs: the
# checks of validate_refresh_token, the scope (DOT's get_original_scopes), the resource
# indicators (DOT's RFC 8707 check), the family the new pair joins, and of the user what
# the ID token states without claims asked for (`sub`, `auth_time`'s fallback) and what
# the audit of a replay names. A portal that asked for claims in its ID tokens gets the
# user read whole (get_id_token_dictionary); anything else read later is one more
# statement, which the statement guard tests would show.
REFRESH_READ = (
    "id",
    "user_id",
    "application_id",
    "access_token_id",
    "token_family",
    "resource",
    "revoked",
    "access_token__id",
    "access_token__expires",
    "access_token__scope",
    "user__id",
    "user__username",
    "user__is_active",
    "user__subject",
    "user__last_login",
)


class _Columns:
    """Some columns of one model as a written-out statement reads them: the names to
    select, and each value turned into what the ORM would give (the backend's converters
    and the field's own, as the ORM applies them: SQLite's dates and UUIDs, JSON), then an
    instance with the other columns deferred, as `.only()` makes it."""

    def __init__(self, model, names: list[str], alias: str) -> None:
        self.model = model
        wanted = set(names)
        # Model.from_db takes the values in the order of the model's concrete fields.
        self.fields = [f for f in model._meta.concrete_fields if f.attname in wanted]
        self.attnames = [f.attname for f in self.fields]
        conn = connections[alias]
        self.converters = []
        for field in self.fields:
            col = field.get_col(model._meta.db_table)
            self.converters.append(
                (col, conn.ops.get_db_converters(col) + col.get_db_converters(conn))
            )

    def sql(self, table_alias: str) -> str:
        return ", ".join(f"{table_alias}.{f.column}" for f in self.fields)

    def values(self, row, alias: str) -> list:
        conn = connections[alias]
        converted = []
        for value, (col, converters) in zip(row, self.converters, strict=True):
            for converter in converters:
                value = converter(value, col, conn)
            converted.append(value)
        return converted

    def instance(self, row, alias: str):
        return self.model.from_db(alias, self.attnames, self.values(row, alias))


@functools.cache
def _refresh_read(alias: str) -> tuple[str, _Columns, _Columns, _Columns]:
    """The presented refresh token with its access token (if it still has one) and its
    user, by checksum: the unrevoked row first, else the most recently revoked (several
    rows may share a checksum; uniqueness is (checksum, revoked)). Table and column names
    come from the models; the checksum is a parameter."""
    User = RefreshToken._meta.get_field("user").related_model
    token = _Columns(RefreshToken, [n for n in REFRESH_READ if "__" not in n], alias)
    access = _Columns(
        AccessToken,
        [n.split("__")[1] for n in REFRESH_READ if n.startswith("access_token__")],
        alias,
    )
    user = _Columns(User, [n.split("__")[1] for n in REFRESH_READ if n.startswith("user__")], alias)
    access_fk = RefreshToken._meta.get_field("access_token").column
    user_fk = RefreshToken._meta.get_field("user").column
    sql = f"""
        SELECT {token.sql("r")}, {access.sql("a")}, {user.sql("u")}
          FROM {RefreshToken._meta.db_table} r
          LEFT JOIN {AccessToken._meta.db_table} a ON a.id = r.{access_fk}
          JOIN {User._meta.db_table} u ON u.id = r.{user_fk}
         WHERE r.token_checksum = %s
         ORDER BY r.revoked DESC NULLS FIRST
         LIMIT 1
    """  # noqa: S608 - names from the models, the checksum a parameter
    return sql, token, access, user


def _read_refresh_token(checksum: str):
    alias = router.db_for_write(RefreshToken)
    sql, token, access, user = _refresh_read(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [checksum])
        row = cursor.fetchone()
    if row is None:
        return None
    n, m = len(token.fields), len(token.fields) + len(access.fields)
    rt = token.instance(row[:n], alias)
    # The related rows are put in the instance's cache by assignment, as select_related
    # does: nothing reads them again.
    rt.access_token = access.instance(row[n:m], alias) if row[n] is not None else None
    rt.user = user.instance(row[m:], alias)
    return rt


@functools.cache
def _login_read(alias: str) -> tuple[str, _Columns]:
    """The login's authentication time, its level and methods and the claims asked for, of
    the code the refresh token's family grew from."""
    columns = _Columns(AuthorizationCode, ["auth_time", "acr", "amr", "claims"], alias)
    family = AuthorizationCode._meta.get_field("token_family").column
    sql = (
        f"SELECT {columns.sql('c')} FROM {AuthorizationCode._meta.db_table} c"  # noqa: S608
        f" WHERE c.{family} = %s LIMIT 1"
    )
    return sql, columns


def _insert(instance) -> None:
    """One new token row, as `save()` writes it (each field's pre_save, then its value
    prepared for the database, as the ORM's INSERT prepares it), in a statement written
    out: the ORM's compilation of an INSERT cost a refresh more CPU than the row. A model
    someone listens to (pre_save / post_save) is saved by the ORM, so its receivers run;
    nothing in PostGov listens to the token models."""
    model = type(instance)
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        instance.save()
        return
    meta = model._meta
    conn = connections[router.db_for_write(model)]
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    prepared = [field.pre_save(instance, True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in prepared):
        instance.save()  # a database default or an expression: the ORM compiles it
        return
    values = [
        field.get_db_prep_save(value, conn) for field, value in zip(fields, prepared, strict=True)
    ]
    quote = conn.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 - names from the model
        f"({', '.join(quote(str(f.column)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(str(meta.pk.column))}"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, values)
        (instance.pk,) = cursor.fetchone()
    # As after save(): the row exists, so a later save() updates it.
    instance._state.adding, instance._state.db = False, conn.alias


def _login_of(family) -> dict | None:
    alias = router.db_for_write(AuthorizationCode)
    sql, columns = _login_read(alias)
    conn = connections[alias]
    family = AuthorizationCode._meta.get_field("token_family").get_db_prep_value(family, conn)
    with conn.cursor() as cursor:
        cursor.execute(sql, [family])
        row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip(columns.attnames, columns.values(row, alias), strict=True))


@functools.cache
def _claim_sql(alias: str) -> str:
    """Revoke the presented refresh token and clear its access token, only if it is still
    unrevoked: the rotation's claim."""
    meta, ops = RefreshToken._meta, connections[alias].ops
    column = lambda name: ops.quote_name(meta.get_field(name).column)  # noqa: E731
    return (
        f"UPDATE {ops.quote_name(meta.db_table)} SET {column('revoked')} = %s,"  # noqa: S608
        f" {column('updated')} = %s, {column('access_token')} = NULL"
        f" WHERE {column('id')} = %s AND {column('revoked')} IS NULL"
    )


def revoke_tokens_of_grant(grant: AuthorizationCode) -> int:
    """Everything issued from one authorization code: its access token, the refresh
    token family that grew from it, and their ID tokens."""
    revoked = 0
    with transaction.atomic():
        tokens = AccessToken.objects.none()
        if grant.access_token_id:
            tokens = AccessToken.objects.filter(pk=grant.access_token_id)
        if grant.token_family:
            tokens = tokens | AccessToken.objects.filter(
                refresh_token__token_family=grant.token_family
            )
        ids = list(tokens.values_list("id_token_id", flat=True))
        revoked += tokens.count()
        IDToken.objects.filter(pk__in=[i for i in ids if i]).delete()
        tokens.delete()
        if grant.token_family:
            revoked += RefreshToken.objects.filter(
                token_family=grant.token_family, revoked__isnull=True
            ).count()
            RefreshToken.revoke_family(grant.token_family)
    return revoked


class PostGovValidator(OAuth2Validator):
    oidc_claim_scope = None  # we filter claims by scope ourselves

    # -- clients --------------------------------------------------------------------------
    def _assertion(self, request) -> str | None:
        try:
            kind = request.client_assertion_type
        except AttributeError:
            kind = request._params.get("client_assertion_type")
        if kind is None and "client_assertion_type" not in request._params:
            return None
        return request._params.get("client_assertion") or ""

    def client_authentication_required(self, request, *args, **kwargs):
        if self._assertion(request) is not None:
            return True
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client(self, request, *args, **kwargs):
        assertion = self._assertion(request)
        if assertion is not None:
            if request._params.get("client_assertion_type") != client_auth.ASSERTION_TYPE:
                return False
            client = client_auth.verify_assertion(assertion, request)
            if (
                client is None
                or client.token_endpoint_auth_method != RelyingParty.AuthMethod.PRIVATE_KEY_JWT
            ):
                return False
            if request.client_id and request.client_id != client.client_id:
                return False
            request.client = client
            request.client_id = client.client_id
            return True
        if self._extract_basic_auth(request):
            try:
                ok = self._authenticate_basic_auth(request)
            except ValueError:
                # DOT catches binascii.Error only: base64 of a header with non-ASCII
                # characters raises a plain ValueError.
                ok = False
            method = "client_secret_basic"
        else:
            ok = self._authenticate_request_body(request)
            method = "client_secret_post"
        # A client authenticates only the way it was registered to.
        return bool(ok and request.client and request.client.token_endpoint_auth_method == method)

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        if self._load_application(client_id, request) is None:
            return False
        return (
            request.client.token_endpoint_auth_method == RelyingParty.AuthMethod.NONE
            and request.client.is_public
        )

    def is_pkce_required(self, client_id, request):
        client = request.client or RelyingParty.objects.filter(client_id=client_id).first()
        return bool(client and client.is_public)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if client is None:
            return False
        if request.grant_type == "client_credentials" or is_service_client(client):
            # A machine client: only service scopes it was registered for, never "openid"
            # or a user's scopes (there is no user), and only through this grant.
            allowed = set(client.allowed_scopes or []) & set(SERVICE_SCOPES)
            return (
                request.grant_type == "client_credentials"
                and is_service_client(client)
                and bool(scopes)
                and set(scopes) <= allowed
            )
        # The authorization view has already kept only the scopes the portal may ask for
        # (unknown ones are ignored, OIDC Core 3.1.2.1); here only "openid" is required.
        return "openid" in scopes and not set(scopes) & set(SERVICE_SCOPES)

    def validate_silent_login(self, request):
        return True  # decided by the authorization view, which knows the session

    def validate_silent_authorization(self, request):
        return True

    def validate_user_match(self, id_token_hint, scopes, claims, request):
        return True  # checked by the authorization view

    def get_oidc_issuer_endpoint(self, request):
        return issuer()

    # -- authorization codes ------------------------------------------------------------
    def _create_authorization_code(self, request, code, expires=None):
        grant = super()._create_authorization_code(request, code, expires)
        auth = getattr(request, "postgov_auth", None) or {}
        AuthorizationCode.objects.filter(pk=grant.pk).update(
            auth_time=datetime.fromtimestamp(auth.get("time", timezone.now().timestamp()), tz=UTC),
            acr=auth.get("acr", ""),
            amr=auth.get("amr", []),
        )
        return grant

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if not isinstance(code, str) or len(code) > 255 or "\x00" in code:
            return False
        grant = (
            AuthorizationCode.objects.select_related("user")
            .filter(code=code, application=client)
            .first()
        )
        if grant is None:
            return False
        if grant.used_at is not None:
            self._code_reused(grant, client)
            return False
        if grant.is_expired() or not grant.user.is_active:
            return False
        # PKCE downgrade: a verifier for a code issued without a challenge.
        if not grant.code_challenge and getattr(request, "code_verifier", None):
            return False
        request.scopes = grant.scope.split()
        request.user = grant.user
        request.nonce = grant.nonce or None
        request.claims = json.loads(grant.claims) if grant.claims else {}
        request.postgov_grant = grant
        request.postgov_auth = {"time": grant.auth_time, "acr": grant.acr, "amr": grant.amr}
        return True

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        """The last check oauthlib makes of a code exchange, after the code itself
        (validate_code) and its PKCE verifier: only a request that passed all three redeems
        the code. Marking it used any earlier would let whoever saw a leaked code burn it
        with a wrong verifier or address, refusing the portal its own login."""
        if not super().confirm_redirect_uri(client_id, code, redirect_uri, client, request):
            return False
        grant = getattr(request, "postgov_grant", None)
        if grant is None:
            return False
        claimed = AuthorizationCode.objects.filter(pk=grant.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not claimed:
            # Another valid exchange of the same code got there first.
            self._code_reused(grant, client)
            raise errors.InvalidGrantError(request=request)
        return True

    def _code_reused(self, grant: AuthorizationCode, client) -> None:
        # RFC 6749 4.1.2: a code redeemed once and presented again is refused and what it
        # issued is revoked (someone else holds it).
        revoked = revoke_tokens_of_grant(grant)
        record(
            "oidc.code_reuse_detected",
            actor=grant.user,
            obj=client,
            details={"grant": grant.pk, "tokens_revoked": revoked},
        )

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        pass  # marked used in confirm_redirect_uri, and kept to recognise reuse

    def save_bearer_token(self, token, request, *args, **kwargs):
        """A refresh inside the token view's transaction writes without DOT's savepoint
        (two statements). Nothing in a refresh raises an OAuth2 error after a write: an
        error before it marks the whole grant's transaction for rollback, so its ID token
        goes too."""
        if request.grant_type == "refresh_token" and transaction.get_connection().in_atomic_block:
            with transaction.atomic(savepoint=False):
                return self._save_bearer_token(token, request, *args, **kwargs)
        return super().save_bearer_token(token, request, *args, **kwargs)

    def _save_bearer_token(self, token, request, *args, **kwargs):
        if request.grant_type == "client_credentials":
            # A machine's token: no user, no refresh token, no ID token (oauthlib issues
            # neither for this grant; refuse to save one should that ever change).
            if "refresh_token" in token or "id_token" in token:
                raise ValueError("client_credentials must not issue refresh or ID tokens")
            request.user = None
            super()._save_bearer_token(token, request, *args, **kwargs)
            record(
                "oidc.token_issued",
                obj=request.client,
                details={"grant_type": "client_credentials", "scope": token.get("scope", "")},
            )
            return
        previous = getattr(request, "refresh_token_instance", None)
        if (
            request.grant_type == "refresh_token"
            and token.get("refresh_token")
            and self.rotate_refresh_token(request)
            and isinstance(previous, RefreshToken)
        ):
            self._rotate(token, request, previous)
            return
        super()._save_bearer_token(token, request, *args, **kwargs)
        grant = getattr(request, "postgov_grant", None)
        if request.grant_type == "authorization_code" and grant is not None:
            checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
            access = AccessToken.objects.filter(token_checksum=checksum).first()
            family = None
            if access is not None:
                family = (
                    RefreshToken.objects.filter(access_token=access)
                    .values_list("token_family", flat=True)
                    .first()
                )
            AuthorizationCode.objects.filter(pk=grant.pk).update(
                access_token_id=access.pk if access else None, token_family=family
            )
            record(
                "oidc.token_issued",
                actor=request.user,
                obj=request.client,
                details={"grant": grant.pk},
            )

    # -- refresh tokens -----------------------------------------------------------------
    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """DOT's checks in the same order (reuse of a revoked token revokes its family,
        the sliding expiry, the token's own client), with the token's user and access
        token read in the same statement and the client compared by id: DOT read both
        again, two statements per refresh."""
        if not isinstance(refresh_token, str) or len(refresh_token) > 255:
            return False
        checksum = hashlib.sha256(refresh_token.encode()).hexdigest()
        # Several rows may share a checksum (uniqueness is (checksum, revoked)): the
        # unrevoked one first, else the most recently revoked.
        rt = _read_refresh_token(checksum)
        if rt is None:
            return False
        if rt.revoked is not None:
            grace = timedelta(seconds=oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS)
            # Superseded by a rotation (it minted an access token) and within the grace
            # period: the client's retry. Anything else is a replay.
            superseded = AccessToken.objects.filter(source_refresh_token=rt).exists()
            if rt.revoked <= timezone.now() - grace or not superseded:
                if oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION and rt.token_family:
                    RefreshToken.revoke_family(rt.token_family)
                record(
                    "oidc.refresh_token_reuse",
                    actor=rt.user,
                    obj=rt.application,
                    details={"family": str(rt.token_family)},
                )
                return False
        else:
            if rt.access_token is None:
                return False  # an orphan: its access token was deleted out of band
            lifetime = refresh_token_expire_timedelta()
            if lifetime and rt.access_token.expires + lifetime <= timezone.now():
                return False
        if client is None or rt.application_id != client.pk or not rt.user.is_active:
            return False
        request.user = rt.user
        request.refresh_token = refresh_token
        request.refresh_token_instance = rt
        grant = _login_of(rt.token_family) if rt.token_family else None
        if grant is not None:
            request.postgov_auth = {
                "time": grant["auth_time"],
                "acr": grant["acr"],
                "amr": grant["amr"],
            }
            request.claims = json.loads(grant["claims"]) if grant["claims"] else {}
        request.nonce = None
        return True

    def _rotate(self, token, request, previous) -> None:
        """Rotation with reuse detection, as DOT's: the presented refresh token is locked,
        revoked and its access token deleted; a new pair of the same family is written.
        DOT did it in two nested savepoints, locking and reading the token twice (nine
        statements more per refresh); here: the claim (revoke it if still unrevoked, which
        locks the row), the delete, two inserts. The caller (save_bearer_token) holds the
        transaction."""
        if "scope" not in token:
            raise FatalClientError("Failed to renew access token: missing scope")
        self._check_and_set_request_resource(request)
        expires = timezone.now() + timedelta(
            seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        )
        # The claim: one UPDATE that revokes the presented token only if it is still
        # unrevoked. It takes the row's lock as SELECT … FOR UPDATE did, and a second
        # request with the same token waits for that lock, then finds the row revoked
        # (PostgreSQL re-checks the WHERE on the row the first one committed) and
        # updates nothing. One statement instead of the lock's read and the update.
        now = timezone.now()
        alias = router.db_for_write(RefreshToken)
        conn = connections[alias]
        field = RefreshToken._meta.get_field("revoked")
        stamp = field.get_db_prep_save(now, conn)
        with conn.cursor() as cursor:
            cursor.execute(_claim_sql(alias), [stamp, stamp, previous.pk])
            claimed = cursor.rowcount
        if not claimed:
            # Rotated or revoked by another request since it was validated: the same
            # token presented twice at once. One of them gets the new pair.
            raise errors.InvalidGrantError(request=request)
        if previous.access_token_id is not None:
            # What AccessToken.revoke() does, without the collector's read of the row and
            # its SET NULL on the refresh token, already done above. Nothing else refers
            # to an access token (the database's foreign keys would refuse the commit).
            # The id read at validation is still the token's: only a rotation changes
            # it, and a rotation revokes the token, so the claim above would have failed.
            with conn.cursor() as cursor:
                table = conn.ops.quote_name(AccessToken._meta.db_table)
                pk = conn.ops.quote_name(str(AccessToken._meta.pk.column))
                cursor.execute(f"DELETE FROM {table} WHERE {pk} = %s", [previous.access_token_id])  # noqa: S608
        previous.revoked, previous.access_token = now, None
        request.refresh_token_instance = None
        access_token = self._create_access_token(
            expires, request, token, source_refresh_token=previous
        )
        # DOT's _create_refresh_token: the new token joins the presented one's family.
        refresh_token = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=previous.token_family,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(refresh_token, token["refresh_token"])
        _insert(refresh_token)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # DOT re-parses and re-verifies the ID token it has just signed to find its row;
        # finalize_id_token left that row on the request.
        id_token = getattr(request, "id_token", None)
        if token.get("id_token") and isinstance(id_token, IDToken):
            access_token = AccessToken(
                user=request.user,
                scope=token["scope"],
                expires=expires,
                id_token=id_token,
                application=request.client,
                source_refresh_token=source_refresh_token,
                resource=getattr(request, "resource", []),
            )
            self._set_token_value(access_token, token["access_token"])
            _insert(access_token)
            return access_token
        return super()._create_access_token(expires, request, token, source_refresh_token)

    def validate_bearer_token(self, token, scopes, request):
        if not token or len(token) > 255:
            return False
        ok = super().validate_bearer_token(token, scopes, request)
        if ok and (request.user is None or not request.user.is_active):
            return False
        return ok

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        record("oidc.token_revoked", obj=request.client, details={"hint": token_type_hint or ""})

    # -- ID tokens and claims ----------------------------------------------------------
    def get_claim_dict(self, request):
        return {"sub": subject_for(request.user, request.client)}

    def get_discovery_claims(self, request):
        return ["sub"]

    def get_id_token_dictionary(self, token, token_handler, request):
        auth = getattr(request, "postgov_auth", None) or {}
        auth_time = auth.get("time") or request.user.last_login or timezone.now()
        expires = timezone.now() + timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)
        requested = (
            (request.claims or {}).get("id_token") if isinstance(request.claims, dict) else None
        )
        claims = {}
        if isinstance(requested, dict):
            if request.user.get_deferred_fields():
                # A refresh read only some of the user's columns (REFRESH_READ).
                request.user = type(request.user).objects.get(pk=request.user.pk)
            claims.update(claims_for_scopes(request.user, request.scopes, requested))
        claims.update(
            {
                "sub": subject_for(request.user, request.client),
                "iss": issuer(),
                "exp": int(expires.timestamp()),
                "auth_time": int(auth_time.timestamp()),
                "jti": str(uuid.uuid4()),
            }
        )
        if auth.get("acr"):
            claims["acr"] = auth["acr"]
        if auth.get("amr"):
            claims["amr"] = list(auth["amr"])
        return claims, expires

    def get_userinfo_claims(self, request):
        requested = (
            (request.claims or {}).get("userinfo") if isinstance(request.claims, dict) else None
        )
        claims = claims_for_scopes(
            request.user, request.scopes, requested if isinstance(requested, dict) else None
        )
        claims["sub"] = subject_for(request.user, request.client)
        return claims

    def get_oidc_claims(self, token, token_handler, request):
        return {"sub": subject_for(request.user, request.client)}

    def finalize_id_token(self, id_token, token, token_handler, request):
        """DOT's, without the savepoint around the ID token's single INSERT (a statement
        is atomic by itself; two statements less per grant); the grant's transaction
        (save_bearer_token's, or the token view's) covers it with the other rows."""
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        key = request.client.jwk_key
        header = {"typ": "JWT", "alg": request.client.algorithm}
        if request.client.algorithm == AbstractApplication.RS256_ALGORITHM:
            header["kid"] = key.thumbprint()
        signed = jwt.JWT(
            header=json.dumps(header, default=str), claims=json.dumps(id_token, default=str)
        )
        signed.make_signed_token(key)
        row = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = row
        request.id_token = row
        return signed.serialize()

    def _save_id_token(self, jti, request, expires, *args, **kwargs):
        # DOT's, with the row written by a statement written out.
        row = IDToken(
            user=request.user,
            scope=request.scope or " ".join(request.scopes),
            expires=expires,
            jti=jti,
            application=request.client,
        )
        _insert(row)
        return row

    def _get_key_for_token(self, token):
        try:
            parsed = jws.JWS()
            parsed.deserialize(token)
            header = parsed.jose_header
        except (JWException, ValueError, TypeError):
            return None
        return verification_jwk(header.get("kid") if isinstance(header, dict) else None)
