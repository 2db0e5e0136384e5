"""posemu terminal package."""
