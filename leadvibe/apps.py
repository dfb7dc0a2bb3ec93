from django.apps import AppConfig


class LeadvibeConfig(AppConfig):
    name = "leadvibe"
    verbose_name = "Leadvibe platform"
