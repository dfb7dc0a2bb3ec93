"""The gate of the account-based-marketing routes (account scoring and account levels)."""

from typing import Any

from rest_framework.request import Request

from leadvibe.exceptions import PermissionDeniedError
from orgunits.api.base import ApiView
from scoring.selectors.config import abm_enabled

ABM_NOTE = "403 unless the organization has `abm_enabled`."


class AbmRequiredView(ApiView):
    """Answers 403 unless the organization has `abm_enabled`, before looking anything up."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not abm_enabled(ou=request.ou):  # type: ignore[attr-defined]
            raise PermissionDeniedError(
                "Account-based marketing is not enabled for this organization (abm_enabled)"
            )
