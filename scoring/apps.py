from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Engagement scoring"

    def ready(self):
        from leadvibe.metrics import register_queue_depth_reader
        from leadvibe.usage import register_usage_counter
        from leadvibe.worker_sweeps import register_worker_sweep
        from orgunits.services import register_org_unit_created_hook
        from scoring.selectors.events import events_ingested_count
        from scoring.services.lead_changes import (
            register_lead_merged_hook,
            register_lead_metadata_changed_hook,
        )
        from scoring.services.levels import levels_create_defaults
        from scoring.services.pipeline import (
            pending_event_count,
            process_pending_events,
            register_batch_stage,
        )
        from scoring.services.profile_scoring import (
            fit_scored_hook,
            lead_profile_changed,
            lead_profile_merged,
        )
        from scoring.services.scoring_stage import (
            lead_merge_replay,
            register_scored_hook,
            score_batch,
        )

        register_queue_depth_reader(pending_event_count)
        register_org_unit_created_hook(levels_create_defaults)
        register_batch_stage(score_batch)
        register_lead_merged_hook(lead_merge_replay)
        # Profile and account scoring (§4.8, §4.9): metadata changes, merges, field mappings.
        register_lead_metadata_changed_hook(lead_profile_changed)
        register_lead_merged_hook(lead_profile_merged)
        register_scored_hook(fit_scored_hook)
        # Events whose doorbell was lost (Redis down when they were ingested).
        register_worker_sweep("pending-events", process_pending_events)
        register_usage_counter("events_ingested", events_ingested_count)
