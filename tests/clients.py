"""The test client the suite uses (the `client` fixture of the root conftest).

PostGov refuses any request of a staff member whose session has no completed second
factor (`identity.middleware.SecondFactorMiddleware`), and its login always asks staff
for one. `force_login` here makes the session such a finished login: for a staff member
it records a second factor given now, as the login's last step would. Tests of the
password-only path (a session of a staff member without the second factor) say so with
`force_login(user, second_factor=False)` or `password_only_login(client, user)`.
"""

from __future__ import annotations

import time

from django.test import Client


class PostGovClient(Client):
    def force_login(self, user, backend=None, *, second_factor: bool = True) -> None:
        from postgov.identity import authn

        super().force_login(user, backend)
        if second_factor and authn.is_staff_member(user):
            now = int(time.time())
            session = self.session
            session[authn.AUTH] = {
                "time": now,
                "amr": ["mfa", "otp", "pwd"],
                "mfa_time": now,
                "sid": None,
                "via": "test",
                "level_cap": 2,
            }
            session.save()


def password_only_login(client: Client, user) -> None:
    """Log `user` in with a session that has no second factor (what Django's own login
    form, or a password alone, would give)."""
    if isinstance(client, PostGovClient):
        client.force_login(user, second_factor=False)
    else:
        client.force_login(user)
