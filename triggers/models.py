"""Models of the triggers app (built by later issues)."""
