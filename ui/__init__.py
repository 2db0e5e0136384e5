"""posemu ui package."""
