"""Models of the segments app (built by later issues)."""
