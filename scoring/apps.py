from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Engagement scoring"

    def ready(self):
        from leadvibe.metrics import register_queue_depth_reader
        from leadvibe.usage import register_usage_counter
        from leadvibe.worker_sweeps import register_worker_sweep
        from orgunits.extension_points import ORG_UNIT_CREATED
        from scoring.selectors.events import events_ingested_count
        from scoring.services.levels import levels_create_defaults
        from scoring.services.pipeline import pending_event_count, process_pending_events

        register_queue_depth_reader(pending_event_count)
        ORG_UNIT_CREATED.subscribe("scoring", levels_create_defaults)
        # Events whose doorbell was lost (Redis down when they were ingested).
        register_worker_sweep("pending-events", process_pending_events)
        register_usage_counter("events_ingested", events_ingested_count)
