from django.urls import path

from scoring.api import account_views as views
from scoring.api.profile_urls import fit_urls

# The fixed words (`rulesets`, `mappings`, `properties`, `delete`) come before
# `accounts/<account_id>`, which would take them as ids.
urlpatterns = [
    path("accounts", views.AccountsView.as_view(), name="accounts"),
    *fit_urls(views.ACCOUNT_FIT, route="accounts", name="account"),
    path("accounts/properties", views.AccountPropertiesView.as_view(), name="account-properties"),
    path("accounts/delete", views.AccountsDeleteView.as_view(), name="accounts-delete"),
    path("accounts/<str:account_id>", views.AccountView.as_view(), name="account"),
]
