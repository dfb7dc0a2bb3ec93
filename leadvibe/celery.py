import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadvibe.settings.base")

app = Celery("leadvibe")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _install_worker_sweeps() -> None:
    from leadvibe.worker_sweeps import WorkerSweeps

    app.steps["worker"].add(WorkerSweeps)


_install_worker_sweeps()
