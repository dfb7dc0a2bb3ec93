"""Ingestion: how events come in, one at a time, in batches or from a CSV import.

`services.events` checks and prepares events (`event_ingest`, `events_ingest_batch`),
`services.event_store` writes them with their leads and aliases in one transaction (retrying
races on a lead's aliases), `services.imports` runs a CSV file as a durable job, and
`normalize` gives aliases and channels their stored form. What is stored stays `pending`
until the scoring pipeline (`scoring.services.pipeline`) claims it.
"""
