from celery import shared_task

from triggers.services import delivery


@shared_task(ignore_result=True)
def deliver_due_task() -> None:
    """Sent after a batch's firings commit; the worker sweep sends what it could not."""
    delivery.deliveries_sweep()
