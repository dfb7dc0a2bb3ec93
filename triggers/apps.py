from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "triggers"

    def ready(self):
        from leadvibe.worker_sweeps import register_worker_sweep
        from scoring.services.decay_sweep import register_decay_hook
        from scoring.services.scoring_stage import register_scored_hook
        from triggers.services.delivery import deliveries_sweep
        from triggers.services.evaluation import evaluate_scored_leads, record_decay_exits

        # After profile scoring's hook (scoring is installed first): sequence triggers'
        # profile filters read the profile scores of the same batch.
        register_scored_hook(evaluate_scored_leads)
        register_decay_hook(record_decay_exits)
        # Retries and first attempts whose task was lost; PostgreSQL only, no Redis needed.
        register_worker_sweep("trigger-deliveries", deliveries_sweep)
