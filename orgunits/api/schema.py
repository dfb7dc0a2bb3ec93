"""OpenAPI security schemes of our authentication classes (registered on import)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class MemberJWTScheme(OpenApiAuthenticationExtension):
    target_class = "orgunits.authentication.MemberJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class CredentialBasicScheme(OpenApiAuthenticationExtension):
    target_class = "orgunits.authentication.CredentialBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "client_id:client_secret of an API credential (see /secrets)",
        }
