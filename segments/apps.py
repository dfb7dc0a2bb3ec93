from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"

    def ready(self) -> None:
        from scoring.extension_points import (
            DECAY_APPLIED,
            LEAD_METADATA_CHANGED,
            LEADS_DELETING,
            LEADS_MERGED,
            LEADS_RESCORED,
            SCORE_BASIS_CHANGED,
            SCORED_BATCH,
        )
        from segments.services import config, membership

        SCORED_BATCH.subscribe("segments", membership.segments_on_scored_batch)
        DECAY_APPLIED.subscribe("segments", membership.segments_on_decay)
        LEAD_METADATA_CHANGED.subscribe("segments", membership.segments_on_metadata_changed)
        LEADS_MERGED.subscribe("segments", membership.segments_on_merged)
        LEADS_DELETING.subscribe("segments", membership.segments_on_deleting)
        LEADS_RESCORED.subscribe("segments", membership.segments_on_rescored)
        SCORE_BASIS_CHANGED.subscribe("segments", config.segments_on_score_basis_changed)
