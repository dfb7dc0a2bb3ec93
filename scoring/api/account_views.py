"""Account scoring routes (account-based marketing): `/accounts/rulesets` and their rules,
`/accounts/mappings` and `/accounts/properties`; the profile views (profile_views.py) over
accounts. Every one answers 403 unless the organization has `abm_enabled`, before looking
anything up."""

from leadvibe.exceptions import PermissionDeniedError
from scoring.api.config_fields import partial_serializer
from scoring.api.profile_views import (
    FitMappingsView,
    FitMappingView,
    FitPropertiesView,
    FitRulesetsView,
    FitRulesetView,
    FitRulesView,
    FitRuleView,
    mapping_documented,
    mapping_input,
    mapping_output,
    mappings_documented,
    properties_documented,
    rule_documented,
    rule_input,
    rule_output,
    rules_documented,
    ruleset_documented,
    rulesets_documented,
)
from scoring.fit.selectors import ACCOUNT
from scoring.models import AccountRuleset
from scoring.selectors.config import abm_enabled

ABM_NOTE = " 403 unless the organization has `abm_enabled`."

AccountRuleOutput = rule_output("AccountRuleOutput", AccountRuleset.ID_PREFIX, "account_property")
AccountRuleInput = rule_input("AccountRuleInput", "account_property")
AccountRuleUpdateInput = partial_serializer(AccountRuleInput, "AccountRuleUpdateInput")
AccountMappingOutput = mapping_output("AccountMappingOutput", "account_property")
AccountMappingInput = mapping_input("AccountMappingInput", "account_property")
AccountMappingUpdateInput = partial_serializer(AccountMappingInput, "AccountMappingUpdateInput")


class AbmRequired:
    kind = ACCOUNT

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not abm_enabled(ou=request.ou):
            raise PermissionDeniedError(
                "Account-based marketing is not enabled for this organization (abm_enabled)"
            )


@rulesets_documented("account", note=ABM_NOTE)
class AccountRulesetsView(AbmRequired, FitRulesetsView):
    pass


@ruleset_documented("account", note=ABM_NOTE)
class AccountRulesetView(AbmRequired, FitRulesetView):
    pass


@rules_documented("account", AccountRuleInput, AccountRuleOutput, note=ABM_NOTE)
class AccountRulesView(AbmRequired, FitRulesView):
    input_class = AccountRuleInput
    output_class = AccountRuleOutput


@rule_documented("account", AccountRuleUpdateInput, AccountRuleOutput, note=ABM_NOTE)
class AccountRuleView(AbmRequired, FitRuleView):
    input_class = AccountRuleUpdateInput
    output_class = AccountRuleOutput


@mappings_documented("account", AccountMappingInput, AccountMappingOutput, note=ABM_NOTE)
class AccountMappingsView(AbmRequired, FitMappingsView):
    input_class = AccountMappingInput
    output_class = AccountMappingOutput


@mapping_documented("account", AccountMappingUpdateInput, AccountMappingOutput, note=ABM_NOTE)
class AccountMappingView(AbmRequired, FitMappingView):
    input_class = AccountMappingUpdateInput
    output_class = AccountMappingOutput


@properties_documented("account", note=ABM_NOTE)
class AccountPropertiesView(AbmRequired, FitPropertiesView):
    pass
