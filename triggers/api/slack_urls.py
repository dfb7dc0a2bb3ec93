from django.urls import path

from triggers.api import slack_views

urlpatterns = [
    path("settings/slack-app", slack_views.SlackAppView.as_view(), name="settings-slack-app"),
    path(
        "integrations/slack", slack_views.SlackIntegrationView.as_view(), name="integrations-slack"
    ),
    path(
        "integrations/slack/install",
        slack_views.SlackInstallView.as_view(),
        name="integrations-slack-install",
    ),
    path(
        "integrations/slack/callback",
        slack_views.SlackCallbackView.as_view(),
        name="integrations-slack-callback",
    ),
    path(
        "integrations/slack/channels",
        slack_views.SlackChannelsView.as_view(),
        name="integrations-slack-channels",
    ),
    path(
        "integrations/slack/users",
        slack_views.SlackUsersView.as_view(),
        name="integrations-slack-users",
    ),
    path(
        "integrations/slack/default-target",
        slack_views.SlackDefaultTargetView.as_view(),
        name="integrations-slack-default-target",
    ),
    path(
        "integrations/slack/test",
        slack_views.SlackTestView.as_view(),
        name="integrations-slack-test",
    ),
]
