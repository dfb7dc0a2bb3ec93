from django.urls import path

from scoring.api import account_views as views
from scoring.api.profile_urls import fit_urls

# These fixed words must be matched before any `accounts/<account_id>` route: include this
# module ahead of one that declares such a route.
urlpatterns = [
    *fit_urls(views.ACCOUNT_FIT, route="accounts", name="account"),
    path("accounts/properties", views.AccountPropertiesView.as_view(), name="account-properties"),
]
