"""Account scoring resources (account-based marketing): `/accounts/rulesets` and their rules,
`/accounts/mappings` and `/accounts/properties`; the profile resources (profile_views.py) over
accounts. Every route answers 403 unless the organization has `abm_enabled`, before looking
anything up."""

from scoring.api.abm import ABM_NOTE, AbmRequiredView
from scoring.api.profile_views import fit_resources, properties_view
from scoring.fit.selectors import ACCOUNT

ACCOUNT_FIT = fit_resources(ACCOUNT, base=AbmRequiredView, note=ABM_NOTE)
AccountPropertiesView = properties_view(ACCOUNT, base=AbmRequiredView, note=ABM_NOTE)
