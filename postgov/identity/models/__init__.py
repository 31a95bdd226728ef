"""PostID models, one module per concern; everything is importable from here."""

from postgov.identity.models.accounts import (  # noqa: F401
    ADMIN_ROLES,
    AGENCY_ROLES,
    NATIONAL_ROLES,
    POINT_ROLES,
    PROVINCE_ROLES,
    Level,
    LoginFailure,
    OneTimeCode,
    Role,
    RoleAssignment,
    User,
    UserSession,
)
from postgov.identity.models.change_requests import ChangeRequest  # noqa: F401
from postgov.identity.models.federation import ExternalIdentity, UpstreamProvider  # noqa: F401, I001
from postgov.identity.models.mfa import (  # noqa: F401
    BackupCode,
    Passkey,
    SecondFactorAttempts,
    TotpDevice,
)
from postgov.identity.models.oidc import (  # noqa: F401
    AuthorizationCode,
    Consent,
    RelyingParty,
    SigningKey,
    UsedClientAssertion,
)
from postgov.identity.models.proofing import EnrolmentCode, ProofingCase  # noqa: F401
