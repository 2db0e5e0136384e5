"""posemu drivers package."""
