"""Profile (fit) and account scoring (architecture.md §4.8, §4.9): rulesets of rules over lead
or account metadata, field mappings that fill that metadata from scored events, and the
scores they give.

`selectors` reads (configuration objects, the configuration compiled for the engine, a lead's
or account's score and level); `services.config` writes the configuration and recomputes the
scores it changes; `services.scores` keeps the stored scores equal to the engine's. The pure
computation is `scoring.engine.profile`.
"""
