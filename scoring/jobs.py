"""The durable job kinds of scoring (leadvibe.jobs); the platform imports this module at
start-up."""

from leadvibe.jobs import job_handlers
from scoring.ingestion.services.imports import ImportJobHandler
from scoring.services.backfills import AccountBackfillHandler, EventBackfillHandler
from scoring.services.lead_changes import LeadDeletionHandler
from scoring.services.rescore import RescoreJobHandler

job_handlers.register(
    ImportJobHandler(),
    LeadDeletionHandler(),
    RescoreJobHandler(),
    AccountBackfillHandler(),
    EventBackfillHandler(),
)
