from django.urls import path

from scoring.api import lead_views as views

# The fixed paths come before `leads/<lead_id>`, which would take them as lead ids.
urlpatterns = [
    path("leads", views.LeadsView.as_view(), name="leads"),
    path("leads/search", views.LeadSearchView.as_view(), name="leads-search"),
    path("leads/merge", views.LeadMergeView.as_view(), name="leads-merge"),
    path("leads/<str:lead_id>", views.LeadView.as_view(), name="lead"),
    path("leads/<str:lead_id>/deletion", views.LeadDeletionView.as_view(), name="lead-deletion"),
    path("leads/<str:lead_id>/metadata", views.LeadMetadataView.as_view(), name="lead-metadata"),
    path("leads/<str:lead_id>/aliases", views.LeadAliasesView.as_view(), name="lead-aliases"),
    path("leads/<str:lead_id>/profile", views.LeadProfileView.as_view(), name="lead-profile"),
    path("leads/<str:lead_id>/account", views.LeadAccountView.as_view(), name="lead-account"),
]
