"""Slack routes: the organization's app credentials (org admins), the active OU's
installation, its workspace's channels and users, its default target and a test message.

Only members' JWTs call them, except the OAuth callback: Slack sends the browser there, and
the single-use `state` it carries is the proof of who started the install.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leadvibe.api.fields import RFC3339DateTimeField, StrictBooleanField, StrictCharField
from leadvibe.api.query import QueryParameters, validated
from leadvibe.api.schema import NO_NUL, ErrorOut
from orgunits.api.base import ApiView, Role
from triggers.models import Trigger
from triggers.services import slack

TARGET_KINDS = Trigger.SlackTargetKind.choices
NOT_CONNECTED = {409: OpenApiResponse(ErrorOut, description="The OU is not connected to Slack.")}
SLACK_ERRORS = {
    **NOT_CONNECTED,
    502: OpenApiResponse(
        ErrorOut, description="`Slack: <error>`: Slack refused the call or could not be reached."
    ),
}


class SlackAppView(ApiView):
    jwt_only = True
    needs_ou = False
    org_admin_methods = frozenset({"PUT"})

    class SlackAppInput(serializers.Serializer):
        client_id = StrictCharField(max_length=200)
        client_secret = StrictCharField(max_length=500, write_only=True)

    class SlackAppOutput(serializers.Serializer):
        configured = StrictBooleanField()

    @extend_schema(
        responses=SlackAppOutput,
        summary="Get Slack app configuration (org-level)",
        description="Whether the organization's Slack app credentials are set (never them).",
    )
    def get(self, request):
        return Response({"configured": slack.slack_app_configured(org=request.org)})

    @extend_schema(
        request=SlackAppInput,
        responses=SlackAppOutput,
        summary="Set Slack app configuration (org-level)",
        description="Org admins. The client secret is stored encrypted and never returned.",
    )
    def put(self, request):
        data = validated(self.SlackAppInput, request.data)
        slack.slack_app_set(org=request.org, **data)
        return Response({"configured": True})


class SlackStatusOutput(serializers.Serializer):
    connected = StrictBooleanField()
    team_name = StrictCharField(allow_null=True)
    team_id = StrictCharField(allow_null=True)
    bot_user_id = StrictCharField(allow_null=True)
    updated_at = RFC3339DateTimeField(allow_null=True)
    default_target_kind = serializers.ChoiceField(choices=TARGET_KINDS, allow_null=True)
    default_target_id = StrictCharField(allow_null=True)
    authorize_url = StrictCharField(
        allow_null=True,
        help_text=(
            "Slack's authorize URL (with a new single-use state) when the OU is not connected, "
            "the organization has a Slack app and the caller may install (Operator)"
        ),
    )


class SlackIntegrationView(ApiView):
    jwt_only = True

    @extend_schema(responses=SlackStatusOutput, summary="Get OU Slack integration status")
    def get(self, request):
        installer = request.member if request.ou_access.allows(Role.OPERATOR) else None
        return Response(
            SlackStatusOutput(slack.slack_status(unit=request.ou, installer=installer)).data
        )

    @extend_schema(
        responses={204: None},
        summary="Disconnect OU Slack integration",
        description="Also asks Slack to revoke the bot token (best effort). 204 when none.",
    )
    def delete(self, request):
        slack.slack_disconnect(unit=request.ou)
        return Response(status=status.HTTP_204_NO_CONTENT)


AuthorizeURLOutput = inline_serializer(
    "SlackAuthorizeURLOutput", {"authorize_url": StrictCharField()}
)
NO_APP = "400 when the organization has no Slack app configured."


class SlackInstallView(ApiView):
    jwt_only = True
    read_role = Role.OPERATOR

    @extend_schema(
        responses={302: OpenApiResponse(description="To Slack's authorize URL")},
        summary="Begin Slack installation",
        description=f"Redirects to Slack's OAuth page, with a new single-use state. {NO_APP}",
    )
    def get(self, request):
        return HttpResponseRedirect(
            slack.slack_install_begin(unit=request.ou, member=request.member)
        )

    @extend_schema(
        request=None,
        responses=AuthorizeURLOutput,
        summary="Initiate Slack installation",
        description=(
            "Creates a short-lived, single-use OAuth state for the active OU and returns "
            f"Slack's authorize URL. {NO_APP}"
        ),
    )
    def post(self, request):
        url = slack.slack_install_begin(unit=request.ou, member=request.member)
        return Response({"authorize_url": url})


ANY_STRING = {"type": "string", "pattern": NO_NUL}


class SlackCallbackView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]  # public: Slack redirects here; the OAuth state is checked

    class CallbackQuery(QueryParameters):
        state = StrictCharField(max_length=200)
        code = StrictCharField(max_length=500, required=False)
        error = StrictCharField(
            max_length=200, required=False, help_text="Set by Slack when the user declined"
        )

    @extend_schema(
        # Whatever the query, the browser is sent back to the SPA (an unusable one with
        # `reason=invalid_request`), so the document constrains none of these.
        # (NUL is refused in any query string, before any view.)
        parameters=[
            OpenApiParameter(name, ANY_STRING, description=description)
            for name, description in (
                ("state", "The state the install step issued"),
                ("code", "Set by Slack when the user approved"),
                ("error", "Set by Slack when the user declined"),
            )
        ],
        auth=[],
        responses={
            302: OpenApiResponse(
                description=(
                    "To the SPA's integrations page with `slack=connected`, or `slack=error` "
                    "and `reason` (`invalid_state` for an unknown, expired or used state)"
                )
            )
        },
        summary="Slack OAuth callback",
        description=(
            "Exchanges the code, stores the OU's connection, then redirects back to the "
            "integrations page. Authenticated by the single-use state, not by a JWT."
        ),
    )
    def get(self, request):
        query = self.CallbackQuery(data=request.query_params)
        if not query.is_valid():
            return _back_to_spa(slack="error", reason="invalid_request")
        params = query.validated_data
        if "error" in params or "code" not in params:
            slack.slack_install_abandon(state=params["state"])
            return _back_to_spa(slack="error", reason=params.get("error", "invalid_request"))
        try:
            slack.slack_install_complete(state=params["state"], code=params["code"])
        except slack.SlackInstallError as exc:
            return _back_to_spa(slack="error", reason=exc.reason)
        return _back_to_spa(slack="connected")


def _back_to_spa(**query) -> HttpResponseRedirect:
    url = settings.SPA_INTEGRATIONS_URL
    return HttpResponseRedirect(f"{url}{'&' if '?' in url else '?'}{urlencode(query)}")


class PageQuery(QueryParameters):
    cursor = StrictCharField(max_length=500, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=1000, required=False)


class SlackChannelsView(ApiView):
    jwt_only = True

    class ChannelsQuery(PageQuery):
        types = StrictCharField(
            max_length=200,
            default=slack.DEFAULT_CHANNEL_TYPES,
            help_text="Comma-separated: public_channel, private_channel, mpim, im",
        )

    @extend_schema(
        parameters=[ChannelsQuery],
        responses={
            200: inline_serializer(
                "SlackChannelsOutput",
                {
                    "ok": StrictBooleanField(),
                    "channels": serializers.ListField(child=serializers.DictField()),
                    "response_metadata": serializers.DictField(),
                },
            ),
            **SLACK_ERRORS,
        },
        summary="List Slack channels for the connected workspace",
        description=(
            "Slack's `conversations.list` answer, as is (page on with "
            "`response_metadata.next_cursor`)."
        ),
    )
    def get(self, request):
        params = validated(self.ChannelsQuery, request.query_params)
        return Response(
            slack.slack_channels_list(
                unit=request.ou,
                types=params["types"],
                cursor=params.get("cursor"),
                limit=params.get("limit"),
            )
        )


class SlackUsersView(ApiView):
    jwt_only = True

    @extend_schema(
        parameters=[PageQuery],
        responses={
            200: inline_serializer(
                "SlackUsersOutput",
                {
                    "ok": StrictBooleanField(),
                    "members": serializers.ListField(child=serializers.DictField()),
                    "response_metadata": serializers.DictField(),
                },
            ),
            **SLACK_ERRORS,
        },
        summary="List Slack users for the connected workspace",
        description=(
            "Slack's `users.list` answer, as is (page on with `response_metadata.next_cursor`)."
        ),
    )
    def get(self, request):
        params = validated(PageQuery, request.query_params)
        return Response(
            slack.slack_users_list(
                unit=request.ou, cursor=params.get("cursor"), limit=params.get("limit")
            )
        )


class SlackTargetInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TARGET_KINDS)
    id = StrictCharField(max_length=100, help_text="A channel id or a user id")


class SlackDefaultTargetView(ApiView):
    jwt_only = True

    @extend_schema(
        request=SlackTargetInput,
        responses={200: SlackStatusOutput, **NOT_CONNECTED},
        summary="Set default Slack notification target for the active OU",
        description="Used by Slack deliveries of triggers that name no target.",
    )
    def put(self, request):
        data = validated(SlackTargetInput, request.data)
        slack.slack_default_target_set(unit=request.ou, kind=data["kind"], target_id=data["id"])
        return Response(SlackStatusOutput(slack.slack_status(unit=request.ou, installer=None)).data)


class SlackTestView(ApiView):
    jwt_only = True

    class SlackTestInput(SlackTargetInput):
        text = StrictCharField(max_length=3000, required=False, help_text="Optional custom message")

    @extend_schema(
        request=SlackTestInput,
        responses={
            200: inline_serializer("SlackTestOutput", {"message": StrictCharField()}),
            **SLACK_ERRORS,
        },
        summary="Send a test Slack notification to the selected target",
        description="To a user: in a direct message from the bot (opened first).",
    )
    def post(self, request):
        params = validated(self.SlackTestInput, request.data)
        slack.slack_test_message_send(
            unit=request.ou, kind=params["kind"], target_id=params["id"], text=params.get("text")
        )
        return Response({"message": f"Test message sent to {params['kind']} {params['id']}"})
