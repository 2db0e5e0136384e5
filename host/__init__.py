"""posemu host package."""
