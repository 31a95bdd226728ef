#!/bin/sh
# Makes deploy/secrets/ for compose.yaml once: random secrets, readable by their owner only.
# Keep a copy of identity_secret and audit_chain_key outside the host (never with the
# backups): without them the sealed secrets and the audit chain cannot be read or checked.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
new() { [ -s "secrets/$1" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >"secrets/$1"; }
for name in db_password secret_key identity_secret audit_chain_key metrics_token; do new "$name"; done
[ -s secrets/pgpass ] || printf 'db:5432:postgov:postgov:%s\n' "$(cat secrets/db_password)" >secrets/pgpass
# The containers run as uid 10001 (postgov); compose mounts these files as they are.
chown 10001 secrets/pgpass secrets/secret_key secrets/identity_secret secrets/audit_chain_key \
  secrets/metrics_token || { echo "run as root: the files must belong to uid 10001" >&2; exit 1; }
echo "secrets in $(pwd)/secrets"
