"""Models of the platform layer: the audit log of API requests."""

from django.db import models


class AuditLogEntry(models.Model):
    """One API request: who made it, what it asked for and how it was answered.

    Rows are written in batches by `leadvibe.audit.audit_log_flush`, never on the request's
    path. Tenant and actor are plain ids and texts, not foreign keys: the platform layer
    does not depend on `orgunits`, and an audit row must outlive the member, credential, OU
    or organization it names. Null means "not known for this request" (anonymous callers,
    failed authentication, routes without an active OU).
    """

    id = models.BigAutoField(primary_key=True)
    # When the request arrived (set by the middleware, not at insert time).
    created_at = models.DateTimeField()
    org_id = models.CharField(max_length=64, null=True)  # noqa: DJ001
    unit_id = models.CharField(max_length=64, null=True)  # noqa: DJ001
    member_email = models.CharField(max_length=254, null=True)  # noqa: DJ001
    credential_client_id = models.CharField(max_length=64, null=True)  # noqa: DJ001
    method = models.CharField(max_length=16)
    # Path only: the query string may carry secrets and is never recorded.
    path = models.CharField(max_length=2048)
    status = models.PositiveSmallIntegerField()
    ip = models.GenericIPAddressField(null=True)
    latency_ms = models.FloatField()
    request_id = models.CharField(max_length=64)

    class Meta:
        indexes = [
            # The audit-log route: one organization's entries, newest first (its default
            # sort). The index gives them in order, so LIMIT stops early; the other filters
            # (method, status range, email) are checked on the rows as they are read.
            models.Index(fields=["org_id", "-created_at"], name="auditlog_org_created"),
            # The same listing for one OU (the route answers for the active OU). Unit ids are
            # unique across organizations, so adding org_id here would only widen the index.
            models.Index(fields=["unit_id", "-created_at"], name="auditlog_unit_created"),
            # Retention: `audit_log_prune` deletes rows older than a cutoff across every
            # organization, in chunks; without this each chunk would scan the whole table.
            models.Index(fields=["created_at"], name="auditlog_created"),
        ]
        # No index serves `search` (substring match on several columns) or sorting by other
        # columns: they run within one organization's rows, and every index here is paid
        # for on each insert of this write-heavy table.

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"
