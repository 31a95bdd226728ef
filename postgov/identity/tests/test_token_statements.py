"""The token endpoint's statements per grant: a guard against a change that brings back
repeated reads or savepoints (each is a round trip to the database, on the country's
busiest endpoint), and the rotation's refusal of a token rotated meanwhile."""

from __future__ import annotations

import hashlib
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_id_token_model,
    get_refresh_token_model,
)

from postgov.audit.models import AuditEvent
from postgov.identity.models import RelyingParty
from postgov.identity.oidc.validator import PostGovValidator
from postgov.identity.tests.oidc_helpers import (
    basic,
    exchange,
    get_code,
    log_in_session,
    rp,  # noqa: F401  (fixture)
    token_request,
    verify_id_token,
)

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()
MACHINE_SECRET = "machine-secret-0123456789abcdefghijklmnopqrstuvwxyz"
# The audit event: the chain head's move, then on PostgreSQL the event and the head's
# hash in one statement (two on SQLite).
AUDIT = 2 if connection.vendor == "postgresql" else 3


def _statements(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].split(" ", 1)[0].upper() not in {"BEGIN", "COMMIT"}
    ]


@pytest.fixture
def tokens(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen)
    code, _query = get_code(client)
    response = exchange(client, code)
    assert response.status_code == 200, response.content
    client.logout()
    return response.json()


def _refresh(client, refresh_token):
    return token_request(
        client, {"grant_type": "refresh_token", "refresh_token": refresh_token}, basic()
    )


# Real transactions, as in production: inside a test's transaction every atomic block
# would be a savepoint.
@pytest.mark.django_db(transaction=True)
def test_statements_of_one_refresh(client, citizen, rp):  # noqa: F811
    log_in_session(client, citizen)
    code, _query = get_code(client)
    first = exchange(client, code).json()
    client.logout()
    warm = _refresh(client, first["refresh_token"]).json()
    with CaptureQueriesContext(connection) as captured:
        response = _refresh(client, warm["refresh_token"])
    assert response.status_code == 200, response.content
    # The client; the refresh token with its user and access token; the login's
    # authentication time; the ID token; the rotation: the claim (revoke the token if it
    # is still unrevoked, which locks its row), delete the old access token, the new
    # access and refresh tokens. No savepoint, nothing read twice, no separate lock.
    assert len(_statements(captured)) == 8, "\n".join(_statements(captured))
    assert not [s for s in _statements(captured) if "FOR UPDATE" in s or "FOR NO KEY" in s]
    assert not [s for s in _statements(captured) if "SAVEPOINT" in s]
    # Every statement of ours written out, none compiled by the ORM at each grant (the ORM
    # names its columns "table"."column"; the written-out statements do not). The client
    # is read by DOT, as DOT reads it.
    compiled = [s for s in _statements(captured) if '"."' in s]
    assert len(compiled) == 1 and compiled[0].startswith('SELECT "identity_relyingparty"."id"'), (
        "\n".join(compiled)
    )
    new = response.json()
    assert new["refresh_token"] not in (first["refresh_token"], warm["refresh_token"])
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1
    assert AccessToken.objects.count() == 1  # each rotation deleted the access token before


@pytest.mark.django_db(transaction=True)
def test_statements_of_one_client_credentials_grant(client):
    RelyingParty.objects.create(
        name="Hệ thống một cửa",
        client_id="machine",
        client_type=RelyingParty.CLIENT_CONFIDENTIAL,
        authorization_grant_type=RelyingParty.GRANT_CLIENT_CREDENTIALS,
        client_secret=MACHINE_SECRET,
        redirect_uris="",
        allowed_scopes=["agency.dossiers.read"],
        skip_authorization=True,
        token_endpoint_auth_method="client_secret_basic",
    )
    data = {"grant_type": "client_credentials", "scope": "agency.dossiers.read"}
    auth = basic("machine", MACHINE_SECRET)
    assert token_request(client, data, auth).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = token_request(client, data, auth)
    assert response.status_code == 200, response.content
    # The client, the access token, its audit event; DOT's read-back of the token only
    # when someone listens to app_authorized.
    assert len(_statements(captured)) == 2 + AUDIT, "\n".join(_statements(captured))
    assert AuditEvent.objects.filter(action="oidc.token_issued").count() == 2


def test_a_token_rotated_meanwhile_is_refused_and_nothing_is_written(client, tokens):
    """Two requests with the same refresh token at once both pass validation; the one
    whose claim comes second (it waits for the first's row lock) finds the token revoked
    and gets invalid_grant, and its grant's rows (its ID token) roll back."""
    original = PostGovValidator.validate_refresh_token

    def validate_then_lose_the_race(self, refresh_token, client_, request, *args, **kwargs):
        ok = original(self, refresh_token, client_, request, *args, **kwargs)
        RefreshToken.objects.filter(pk=request.refresh_token_instance.pk).update(
            revoked=timezone.now()
        )
        return ok

    ids_before = set(RefreshToken.objects.values_list("pk", flat=True))
    id_tokens_before = IDToken.objects.count()
    with mock.patch.object(PostGovValidator, "validate_refresh_token", validate_then_lose_the_race):
        response = _refresh(client, tokens["refresh_token"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert set(RefreshToken.objects.values_list("pk", flat=True)) == ids_before
    assert IDToken.objects.count() == id_tokens_before


@pytest.mark.django_db(transaction=True)
def test_a_refresh_states_the_claims_the_portal_asked_for_in_its_id_tokens(
    client,
    citizen,
    rp,  # noqa: F811
):
    """A refresh reads only a few of the user's columns; a portal that asked for claims in
    its ID tokens gets them from the user read whole, one statement more."""
    log_in_session(client, citizen)
    code, _query = get_code(client, scope="openid profile", claims='{"id_token": {"name": null}}')
    first = exchange(client, code).json()
    client.logout()
    warm = _refresh(client, first["refresh_token"]).json()
    with CaptureQueriesContext(connection) as captured:
        response = _refresh(client, warm["refresh_token"])
    assert response.status_code == 200, response.content
    statements = _statements(captured)  # the next request empties the log
    assert len(statements) == 9, "\n".join(statements)
    claims = verify_id_token(client, response.json()["id_token"])
    assert claims["name"] == citizen.full_name
    assert "birthdate" not in claims  # not asked for


def test_the_written_out_read_of_a_refresh_token_gives_what_the_orm_gives(client, tokens):
    """The refresh token's read, written out as SQL, against the ORM's read of the same
    columns: the unrevoked token, then the same token revoked by its rotation (its access
    token gone), with every value converted as the ORM converts it."""
    from django.db.models import F

    from postgov.identity.oidc.validator import REFRESH_READ, _read_refresh_token

    checksum = hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()

    def orm():
        return (
            RefreshToken.objects.filter(token_checksum=checksum)
            .select_related("access_token", "user")
            .only(*REFRESH_READ)
            .order_by(F("revoked").desc(nulls_first=True))
            .first()
        )

    def values(rt):
        access = rt.access_token
        return (
            [getattr(rt, n) for n in REFRESH_READ if "__" not in n],
            None if access is None else (access.pk, access.expires, access.scope),
            [getattr(rt.user, n.split("__")[1]) for n in REFRESH_READ if n.startswith("user__")],
        )

    for revoked in (False, True):
        written, expected = _read_refresh_token(checksum), orm()
        assert written is not None and written.pk == expected.pk
        assert values(written) == values(expected)
        assert written.get_deferred_fields() == expected.get_deferred_fields()
        assert (written.revoked is not None) == revoked
        if not revoked:
            assert written.access_token is not None
            assert _refresh(client, tokens["refresh_token"]).status_code == 200
    assert written.access_token is None
    assert _read_refresh_token("0" * 64) is None
