"""The base class of every authenticated API view.

It resolves, once per request: the caller (a member's JWT or an API credential), the
organization, the active OU and the caller's role in it; checks the role the method needs;
applies the rate limit; and stamps OU-scoped responses with `X-OU-ID` / `X-Org-ID`. Views
below it read `request.org`, `request.ou`, `request.ou_access` and never look a tenant up
themselves.
"""

from typing import Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from leadvibe.api.throttling import RateLimitedViewMixin
from leadvibe.exceptions import (
    ApplicationError,
    NotFoundError,
    PermissionDeniedError,
    TooManyRequestsError,
)
from leadvibe.ratelimit import address_key, address_policy, rate_limit_key
from orgunits.authentication import (
    ApiClient,
    CredentialBasicAuthentication,
    MemberJWTAuthentication,
)
from orgunits.models import Member, OUMembership
from orgunits.selectors import OUAccess, org_unit_get, ou_access_for, rate_limit_policy_for
from orgunits.services import api_credential_forget, credential_revocation_key

Role = OUMembership.Role

ACTIVE_OU_COOKIE = "activeOu"
ACTIVE_OU_HEADER = "X-OU-ID"


class NoActiveOUError(ApplicationError):
    default_message = "No active OU"


class ApiView(RateLimitedViewMixin, APIView):
    authentication_classes = [MemberJWTAuthentication, CredentialBasicAuthentication]
    permission_classes = [IsAuthenticated]

    #: Only a member's JWT may call this route (HTTP Basic answers 403).
    jwt_only = False
    #: The route works on the caller's active OU.
    needs_ou = True
    #: The route works without an active OU but reports on it when one is given.
    uses_ou_if_given = False
    #: Roles in the active OU needed to read and to change things.
    read_role = Role.VIEWER
    write_role = Role.OPERATOR
    #: Methods only members with the org role `admin` may call.
    org_admin_methods: frozenset[str] = frozenset()
    #: Org admins' calls spend no rate-limit token (the route that sets the policy must stay
    #: reachable whatever the policy is).
    org_admins_not_rate_limited = False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        member = request.user if isinstance(request.user, Member) else None
        client = request.user if isinstance(request.user, ApiClient) else None
        if self.jwt_only and member is None:
            raise PermissionDeniedError("This route needs a member's JWT, not an API credential")
        is_admin = member is not None and member.role == Member.OrgRole.ADMIN
        if request.method in self.org_admin_methods and not is_admin:
            raise PermissionDeniedError("Only organization admins may do this")
        request.member = member
        request.org = member.org if member else client.credential.unit.org
        if self.org_admins_not_rate_limited and is_admin:
            self.settle_rate_limit()
        else:
            self._apply_rate_limit(request, client)
        request.ou_access = None
        if self.uses_ou_if_given and member and requested_ou_id(request):
            request.ou_access = _member_active_ou(request, member)
        if self.needs_ou:
            request.ou_access = _member_active_ou(request, member) if member else _client_ou(client)
            needed = self.read_role if request.method in SAFE_METHODS else self.write_role
            if not request.ou_access.allows(needed):
                raise PermissionDeniedError(f"This needs the {needed} role in the OU")
        request.ou = request.ou_access.unit if request.ou_access else None
        # Middleware (audit log) sees the Django request, not DRF's wrapper.
        request._request.ou = request.ou

    def handle_exception(self, exc):
        if isinstance(exc, AuthenticationFailed):
            # Wrong credentials spend tokens of the caller address's bucket, so guessing
            # secrets is slowed like any traffic. (Requests without credentials were already
            # counted per address by ApiRateLimitMiddleware.)
            try:
                self.spend_rate_limit_token(policy=address_policy(), key=address_key(self.request))
            except TooManyRequestsError as refused:
                exc = refused
        return super().handle_exception(exc)

    def _apply_rate_limit(self, request, client: ApiClient | None) -> None:
        # The same round trip asks whether the credential was revoked (by any process).
        policy, _ = rate_limit_policy_for(org=request.org)
        client_id = client.credential.client_id if client else None
        revoked = self.spend_rate_limit_token(
            policy=policy,
            key=caller_rate_limit_key(request, policy.key_by, client),
            flag_key=credential_revocation_key(client_id) if client_id else None,
        )
        if revoked:
            api_credential_forget(client_id=client_id)
            raise AuthenticationFailed("Invalid client credentials")

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        ou = getattr(request, "ou", None)
        if ou is not None:
            response["X-OU-ID"] = ou.id
            response["X-Org-ID"] = ou.org_id
        return response

    def get_ou_access(self, unit_id: str) -> OUAccess:
        return member_ou_access(member=self.request.member, unit_id=unit_id)


def member_ou_access(*, member: Member, unit_id: str) -> OUAccess:
    """Access of a member to the OU the request names (404 outside their org, 403 when they
    hold no role in it)."""
    access = ou_access_for(member=member, unit=org_unit_get(org=member.org, unit_id=unit_id))
    if access is None:
        raise PermissionDeniedError("You are not a member of this OU")
    return access


def caller_rate_limit_key(request, key_by: str, client: ApiClient | None) -> str:
    return rate_limit_key(
        key_by=key_by,
        org_id=request.org.id,
        credential_id=client.credential.id if client else None,
        ip=request.META.get("REMOTE_ADDR", ""),
    )


def requested_ou_id(request) -> str | None:
    """The active OU a member's request names (header, else cookie)."""
    return request.headers.get(ACTIVE_OU_HEADER) or request.COOKIES.get(ACTIVE_OU_COOKIE)


def _member_active_ou(request, member: Member) -> OUAccess:
    unit_id = requested_ou_id(request)
    if not unit_id:
        raise NoActiveOUError()
    try:
        access = ou_access_for(member=member, unit=org_unit_get(org=member.org, unit_id=unit_id))
    except NotFoundError:
        access = None  # an OU of another organization is refused like one without a role
    if access is None:
        raise PermissionDeniedError("You are not a member of the active OU")
    return access


def _client_ou(client: ApiClient) -> OUAccess:
    # A credential acts in the OU it was created in, with Operator rights (data and config).
    return OUAccess(unit=client.credential.unit, role=Role.OPERATOR)
