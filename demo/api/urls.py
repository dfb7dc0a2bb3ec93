from django.urls import path

from demo.api import views

urlpatterns = [
    path("admin/seed", views.DemoSeedView.as_view(), name="admin-seed"),
    path("admin/wipe-seed", views.DemoWipeView.as_view(), name="admin-wipe-seed"),
]
