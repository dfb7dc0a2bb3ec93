from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "triggers"

    def ready(self):
        from leadvibe.worker_sweeps import register_worker_sweep
        from scoring.extension_points import DECAY_APPLIED, SCORED_BATCH
        from segments.extension_points import MEMBERSHIP_CHANGED
        from triggers.services.delivery import deliveries_sweep
        from triggers.services.evaluation import evaluate_scored_leads, record_decay_exits
        from triggers.services.segment_firings import fire_segment_triggers

        SCORED_BATCH.subscribe("triggers", evaluate_scored_leads)
        DECAY_APPLIED.subscribe("triggers", record_decay_exits)
        MEMBERSHIP_CHANGED.subscribe("triggers", fire_segment_triggers)
        # Retries and first attempts whose task was lost; PostgreSQL only, no Redis needed.
        register_worker_sweep("trigger-deliveries", deliveries_sweep)
