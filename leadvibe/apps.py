from django.apps import AppConfig


class LeadvibeConfig(AppConfig):
    name = "leadvibe"
    verbose_name = "Leadvibe platform"

    def ready(self):
        from leadvibe.jobs import job_handlers_discover

        job_handlers_discover()
