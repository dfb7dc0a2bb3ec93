from leadvibe.task_decorator import instrumented_task
from triggers.services import delivery


@instrumented_task(name="triggers.tasks.deliver_due_task", queue="deliveries")
def deliver_due_task() -> None:
    """Sent after a batch's firings commit; the worker sweep sends what it could not."""
    delivery.deliveries_sweep()
