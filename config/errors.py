"""The root of posemu's error hierarchy (STYLE.md section 5).

Every error the project raises derives from :class:`PosError`, so the single ``on_fault`` boundary of the
terminal and the CLI's exit-code table can catch the project's errors and nothing else. An error carries
*where* something went wrong (offset, tag, field, status word), never the buffer it was reading: a buffer
may hold a PAN, track data or a key.
"""

from __future__ import annotations


class PosError(Exception):
    """Base class of every error posemu raises on purpose."""


class ConfigError(PosError):
    """A configuration file or value is missing, malformed or inconsistent."""
