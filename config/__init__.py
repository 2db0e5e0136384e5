"""Configuration: typed schema, TOML loading, shipped defaults, and the project's error root."""
