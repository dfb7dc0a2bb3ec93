"""The durable job kinds of segments (leadvibe.jobs); the platform imports this module at
start-up."""

from leadvibe.jobs import job_handlers
from segments.services.recompute import SegmentRecomputeHandler

job_handlers.register(SegmentRecomputeHandler())
