"""Auth, organization units, memberships, members and API credentials."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leadvibe.api.fields import RFC3339DateTimeField, StrictBooleanField, StrictCharField
from leadvibe.api.query import QueryParameters, validated
from leadvibe.audit import audit_log_entries
from leadvibe.exceptions import PermissionDeniedError
from leadvibe.ratelimit import MIN_BURST, MIN_RPS
from leadvibe.usage import month_bounds, usage_counts
from orgunits import selectors, services
from orgunits.api.base import ACTIVE_OU_COOKIE, ApiView, Role, caller_rate_limit_key
from orgunits.models import Member

ROLE_CHOICES = [Role.OWNER, Role.OPERATOR, Role.VIEWER]
ORG_ROLE_CHOICES = [Member.OrgRole.ADMIN, Member.OrgRole.MEMBER]


class MemberOutput(serializers.Serializer):
    org_member_id = StrictCharField(source="id")
    first_name = StrictCharField()
    last_name = StrictCharField()
    email = serializers.EmailField()
    role = StrictCharField()
    verified = StrictBooleanField()


class UnitOutput(serializers.Serializer):
    unit_id = StrictCharField(source="id")
    name = StrictCharField()
    slug = StrictCharField()
    session_timeout_minutes = serializers.IntegerField()


class MeView(ApiView):
    jwt_only = True
    needs_ou = False

    @extend_schema(responses=MemberOutput, summary="Current member")
    def get(self, request):
        return Response(MemberOutput(request.member).data)


class RateLimitOutput(serializers.Serializer):
    enabled = StrictBooleanField()
    mode = StrictCharField()
    key_by = StrictCharField()
    key = StrictCharField()
    rps = serializers.FloatField()
    burst = serializers.IntegerField()
    stage = StrictCharField(help_text="`org`: the organization's own policy; `default`")


class MyRateLimitView(ApiView):
    jwt_only = True
    needs_ou = False

    @extend_schema(responses=RateLimitOutput, summary="Caller's rate-limit policy")
    def get(self, request):
        policy, stage = selectors.rate_limit_policy_for(org=request.org)
        return Response(
            RateLimitOutput(
                {
                    "enabled": policy.mode != "off",
                    "mode": policy.mode,
                    "key_by": policy.key_by,
                    "key": caller_rate_limit_key(request, policy.key_by, None),
                    "rps": policy.rps,
                    "burst": policy.burst,
                    "stage": stage,
                }
            ).data
        )


class UsageView(ApiView):
    """Current-month usage of the organization, and of the active OU when one is given."""

    jwt_only = True
    needs_ou = False
    uses_ou_if_given = True

    @extend_schema(
        responses=inline_serializer(
            "UsageOutput",
            {
                "period": inline_serializer(
                    "UsagePeriod",
                    {"start": serializers.DateTimeField(), "end": serializers.DateTimeField()},
                ),
                "org": inline_serializer(
                    "OrgUsage",
                    {"org_id": StrictCharField(), "api_requests": serializers.IntegerField()},
                ),
                "ou": inline_serializer(
                    "OUUsage",
                    {"ou_id": StrictCharField(), "api_requests": serializers.IntegerField()},
                    allow_null=True,
                ),
            },
        ),
        summary="Current-month usage (org and OU)",
        description="Counters: `api_requests`, and `events_ingested` once events exist.",
    )
    def get(self, request):
        start, end = month_bounds(timezone.now())
        ou = request.ou
        return Response(
            {
                "period": {"start": start, "end": end},
                "org": {
                    "org_id": request.org.id,
                    **usage_counts(org_id=request.org.id, unit_id=None, since=start),
                },
                "ou": {"ou_id": ou.id, **usage_counts(org_id=ou.org_id, unit_id=ou.id, since=start)}
                if ou
                else None,
            }
        )


class RateLimitSettingsView(ApiView):
    """The organization's own rate-limit policy (org admins, whom it never limits here);
    unset fields use the defaults, and no policy may be stricter than the floor."""

    jwt_only = True
    needs_ou = False
    org_admin_methods = frozenset({"GET", "PUT"})
    org_admins_not_rate_limited = True

    class RateLimitSettingsInput(serializers.Serializer):
        mode = serializers.ChoiceField(choices=["off", "observe", "enforce"], allow_null=True)
        key_by = serializers.ChoiceField(choices=["org", "credential", "ip"], allow_null=True)
        rps = serializers.FloatField(min_value=MIN_RPS, max_value=100_000, allow_null=True)
        burst = serializers.IntegerField(min_value=MIN_BURST, max_value=1_000_000, allow_null=True)

    @extend_schema(responses=RateLimitSettingsInput)
    def get(self, request):
        return Response(_rate_limit_settings(request.org))

    @extend_schema(request=RateLimitSettingsInput, responses=RateLimitSettingsInput)
    def put(self, request):
        data = validated(self.RateLimitSettingsInput, request.data)
        org = services.organization_rate_limit_set(org=request.org, **data)
        return Response(_rate_limit_settings(org))


def _rate_limit_settings(org) -> dict:
    return {
        "mode": org.rate_limit_mode or None,
        "key_by": org.rate_limit_key_by or None,
        "rps": org.rate_limit_rps,
        "burst": org.rate_limit_burst,
    }


class CleanupView(APIView):
    """Removes any residual cookies of earlier auth flows (and the active OU)."""

    authentication_classes = []
    permission_classes = [AllowAny]  # public: it only clears cookies
    RESIDUAL_COOKIES = (ACTIVE_OU_COOKIE, "sessionid", "csrftoken", "access_token", "refresh_token")

    @extend_schema(
        request=None,
        responses=inline_serializer("CleanupOutput", {"cleared": serializers.ListField()}),
    )
    def post(self, request):
        response = Response({"cleared": list(self.RESIDUAL_COOKIES)})
        for name in self.RESIDUAL_COOKIES:
            response.delete_cookie(name, samesite="Lax")
        return response


class OrgUnitsView(ApiView):
    jwt_only = True
    needs_ou = False
    org_admin_methods = frozenset({"POST"})

    class UnitWithRole(UnitOutput):
        role = StrictCharField()

    class OrganizationOutput(serializers.Serializer):
        org_id = StrictCharField(source="id")
        name = StrictCharField()
        allow_negative_scores = StrictBooleanField()
        abm_enabled = StrictBooleanField()

    class OrgUnitNameInput(serializers.Serializer):
        name = StrictCharField(max_length=200)

    @extend_schema(
        responses=inline_serializer(
            "OrgUnitsOutput",
            {"units": UnitWithRole(many=True), "organization": OrganizationOutput()},
        )
    )
    def get(self, request):
        units = []
        for unit, role in selectors.org_units_for_member(member=request.member):
            unit.role = role
            units.append(unit)
        return Response(
            {
                "units": self.UnitWithRole(units, many=True).data,
                "organization": self.OrganizationOutput(request.org).data,
            }
        )

    @extend_schema(request=OrgUnitNameInput, responses={201: UnitOutput})
    def post(self, request):
        data = validated(self.OrgUnitNameInput, request.data)
        unit = services.org_unit_create(org=request.org, **data)
        return Response(UnitOutput(unit).data, status=status.HTTP_201_CREATED)


class OrgUnitDetailView(ApiView):
    jwt_only = True
    needs_ou = False

    @extend_schema(request=OrgUnitsView.OrgUnitNameInput, responses=UnitOutput)
    def put(self, request, unit_id):
        access = self.get_ou_access(unit_id)
        _require(access.allows(Role.OWNER), "Only the OU's Owners may rename it")
        data = validated(OrgUnitsView.OrgUnitNameInput, request.data)
        unit = services.org_unit_rename(unit=access.unit, **data)
        return Response(UnitOutput(unit).data)


class ActiveOUView(ApiView):
    jwt_only = True
    needs_ou = False

    class ActiveOUInput(serializers.Serializer):
        ouId = StrictCharField(max_length=64)

    @extend_schema(
        request=ActiveOUInput,
        responses=inline_serializer(
            "ActiveOUOutput",
            {
                "ou_id": StrictCharField(),
                "org_id": StrictCharField(),
                "role": StrictCharField(),
            },
        ),
    )
    def post(self, request):
        data = validated(self.ActiveOUInput, request.data)
        access = self.get_ou_access(data["ouId"])
        request.ou = access.unit
        response = Response(
            {"ou_id": access.unit.id, "org_id": access.unit.org_id, "role": access.role}
        )
        response.set_cookie(
            ACTIVE_OU_COOKIE,
            access.unit.id,
            max_age=settings.ACTIVE_OU_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
        return response


class MembershipOutput(serializers.Serializer):
    org_member_id = StrictCharField(source="member.id")
    email = serializers.EmailField(source="member.email")
    first_name = StrictCharField(source="member.first_name")
    last_name = StrictCharField(source="member.last_name")
    ou_id = StrictCharField(source="unit_id")
    role = StrictCharField()


class MembershipsView(ApiView):
    jwt_only = True
    needs_ou = False

    class MembershipAssignInput(serializers.Serializer):
        org_member_id = StrictCharField(max_length=64)
        role = serializers.ChoiceField(choices=ROLE_CHOICES, default=Role.VIEWER)

    @extend_schema(responses=MembershipOutput(many=True))
    def get(self, request, unit_id):
        access = self.get_ou_access(unit_id)
        memberships = selectors.ou_memberships_list(unit=access.unit)
        return Response(MembershipOutput(memberships, many=True).data)

    @extend_schema(request=MembershipAssignInput, responses=MembershipOutput)
    def post(self, request, unit_id):
        access = self.get_ou_access(unit_id)
        _require(access.allows(Role.OWNER), "Only the OU's Owners manage its memberships")
        data = validated(self.MembershipAssignInput, request.data)
        member = _org_member_or_404(request, data["org_member_id"])
        membership = services.ou_membership_assign(
            unit=access.unit, member=member, role=data["role"]
        )
        return Response(MembershipOutput(membership).data)


class MembershipDetailView(ApiView):
    jwt_only = True
    needs_ou = False

    class MembershipRoleInput(serializers.Serializer):
        role = serializers.ChoiceField(choices=ROLE_CHOICES)

    def _membership(self, unit_id, member_id):
        access = self.get_ou_access(unit_id)
        _require(access.allows(Role.OWNER), "Only the OU's Owners manage its memberships")
        return selectors.ou_membership_get(unit=access.unit, member_id=member_id)

    @extend_schema(request=MembershipRoleInput, responses=MembershipOutput)
    def put(self, request, unit_id, member_id):
        membership = self._membership(unit_id, member_id)
        data = validated(self.MembershipRoleInput, request.data)
        membership = services.ou_membership_change_role(membership=membership, role=data["role"])
        return Response(MembershipOutput(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request, unit_id, member_id):
        services.ou_membership_remove(membership=self._membership(unit_id, member_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrgMembersView(ApiView):
    jwt_only = True
    needs_ou = False
    org_admin_methods = frozenset({"POST"})

    class MemberCreateInput(serializers.Serializer):
        first_name = StrictCharField(max_length=150)
        last_name = StrictCharField(max_length=150)
        email = serializers.EmailField()
        password = StrictCharField(min_length=8, max_length=128, write_only=True)
        role = serializers.ChoiceField(choices=ORG_ROLE_CHOICES)

    @extend_schema(responses=MemberOutput(many=True))
    def get(self, request):
        return Response(MemberOutput(selectors.org_members_list(org=request.org), many=True).data)

    @extend_schema(request=MemberCreateInput, responses={201: MemberOutput})
    def post(self, request):
        data = validated(self.MemberCreateInput, request.data)
        member = services.member_create(org=request.org, **data)
        return Response(MemberOutput(member).data, status=status.HTTP_201_CREATED)


class OrgMemberDetailView(ApiView):
    jwt_only = True
    needs_ou = False
    org_admin_methods = frozenset({"PUT", "DELETE"})

    class MemberUpdateInput(serializers.Serializer):
        first_name = StrictCharField(max_length=150, required=False)
        last_name = StrictCharField(max_length=150, required=False)
        email = serializers.EmailField(required=False)
        role = serializers.ChoiceField(choices=ORG_ROLE_CHOICES, required=False)

    @extend_schema(request=MemberUpdateInput, responses=MemberOutput)
    def put(self, request, member_id):
        member = _org_member_or_404(request, member_id)
        data = validated(self.MemberUpdateInput, request.data)
        member = services.member_update(member=member, **data)
        return Response(MemberOutput(member).data)

    @extend_schema(responses={204: None})
    def delete(self, request, member_id):
        member = _org_member_or_404(request, member_id)
        _require(member.id != request.member.id, "You cannot delete yourself")
        services.member_delete(member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CredentialOutput(serializers.Serializer):
    secret_id = StrictCharField(source="id")
    client_id = StrictCharField()
    name = StrictCharField()
    ou_id = StrictCharField(source="unit_id")
    created_at = RFC3339DateTimeField()
    last_used_at = RFC3339DateTimeField(allow_null=True)


class SecretsView(ApiView):
    jwt_only = True
    read_role = Role.OWNER
    write_role = Role.OWNER

    class CredentialCreateInput(serializers.Serializer):
        name = StrictCharField(min_length=1, max_length=50)

    class CreatedOutput(serializers.Serializer):
        secret_id = StrictCharField(source="credential.id")
        client_id = StrictCharField(source="credential.client_id")
        client_secret = StrictCharField()
        name = StrictCharField(source="credential.name")
        created_at = RFC3339DateTimeField(source="credential.created_at")

    @extend_schema(responses=CredentialOutput(many=True))
    def get(self, request):
        credentials = selectors.api_credentials_list(unit=request.ou)
        return Response(CredentialOutput(credentials, many=True).data)

    @extend_schema(request=CredentialCreateInput, responses={201: CreatedOutput})
    def post(self, request):
        data = validated(self.CredentialCreateInput, request.data)
        issued = services.api_credential_create(
            unit=request.ou, name=data["name"], created_by=request.member
        )
        return Response(self.CreatedOutput(issued).data, status=status.HTTP_201_CREATED)


class SecretDetailView(ApiView):
    jwt_only = True
    read_role = Role.OWNER
    write_role = Role.OWNER

    @extend_schema(responses={204: None})
    def delete(self, request, secret_id):
        credential = selectors.api_credential_get(unit=request.ou, credential_id=secret_id)
        services.api_credential_revoke(credential=credential)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditLogsView(ApiView):
    """Audit log of the active OU (Owners and org admins)."""

    jwt_only = True
    read_role = Role.OWNER

    class AuditLogQuery(QueryParameters):
        limit = serializers.IntegerField(min_value=1, max_value=500, default=100)
        offset = serializers.IntegerField(min_value=0, default=0)
        search = StrictCharField(required=False, max_length=200)
        method = serializers.ChoiceField(
            choices=["GET", "POST", "PUT", "PATCH", "DELETE"], required=False
        )
        status_min = serializers.IntegerField(required=False, min_value=100, max_value=599)
        status_max = serializers.IntegerField(required=False, min_value=100, max_value=599)
        user_email = StrictCharField(required=False, max_length=254)
        sort_by = serializers.ChoiceField(
            choices=["created_at", "user_email", "method", "path", "status", "ip", "latency_ms"],
            default="created_at",
        )
        sort_order = serializers.ChoiceField(choices=["ASC", "DESC", "asc", "desc"], default="DESC")

    class AuditLogEntryOutput(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = RFC3339DateTimeField()
        user_email = StrictCharField(source="member_email", allow_null=True)
        client_id = StrictCharField(source="credential_client_id", allow_null=True)
        org_id = StrictCharField(allow_null=True)
        ou_id = StrictCharField(source="unit_id", allow_null=True)
        method = StrictCharField()
        path = StrictCharField()
        status = serializers.IntegerField()
        ip = StrictCharField(allow_null=True)
        latency_ms = serializers.FloatField()
        request_id = StrictCharField()

    @extend_schema(
        parameters=[AuditLogQuery],
        responses=inline_serializer(
            "AuditLogPage",
            {
                "items": AuditLogEntryOutput(many=True),
                "limit": serializers.IntegerField(),
                "offset": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request):
        params = dict(validated(self.AuditLogQuery, request.query_params))
        limit, offset = params.pop("limit"), params.pop("offset")
        entries = audit_log_entries(org_id=request.org.id, unit_id=request.ou.id, **params)
        page = entries[offset : offset + limit]
        return Response(
            {
                "items": self.AuditLogEntryOutput(page, many=True).data,
                "limit": limit,
                "offset": offset,
            }
        )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDeniedError(message)


def _org_member_or_404(request, member_id: str) -> Member:
    return selectors.org_member_get(org=request.org, member_id=member_id)
