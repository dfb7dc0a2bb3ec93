"""How API callers prove who they are: a member's JWT, or an API credential over HTTP Basic."""

import base64
import binascii
from dataclasses import dataclass

from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication

from orgunits.models import ApiCredential
from orgunits.services import api_credential_authenticate


@dataclass(frozen=True)
class ApiClient:
    """`request.user` of a caller authenticated with an API credential."""

    credential: ApiCredential

    is_authenticated = True
    is_anonymous = False
    email = None

    @property
    def org_id(self) -> str:
        return self.credential.org_id


class MemberJWTAuthentication(JWTAuthentication):
    www_authenticate_realm = "api"


class CredentialBasicAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Basic authorization header")
        try:
            decoded = base64.b64decode(header[1], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed("Invalid Basic authorization header") from exc
        client_id, _, secret = decoded.partition(":")
        credential = api_credential_authenticate(client_id=client_id, secret=secret)
        if credential is None:
            raise exceptions.AuthenticationFailed("Invalid client credentials")
        return ApiClient(credential), credential

    def authenticate_header(self, request):
        return 'Basic realm="api"'
