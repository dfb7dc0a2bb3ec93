"""Models of the scoring app (built by later issues)."""
