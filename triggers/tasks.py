from celery import shared_task

from triggers.services import delivery


@shared_task(ignore_result=True)
def deliver_task(delivery_ids: list[int]) -> None:
    """Sent after a batch's firings commit; what it cannot send the worker sweep retries."""
    delivery.deliver(delivery_ids)
