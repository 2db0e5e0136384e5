"""Reading configuration files: the only module that opens them (STYLE.md section 1).

TOML through :mod:`tomllib`; shipped defaults live in ``config/defaults/`` inside the package and are read
through :mod:`importlib.resources`, so an installed wheel finds them too.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from config.errors import ConfigError

__all__ = ["load_default", "load_toml", "read_default_text"]


def load_toml(path: str | Path) -> dict[str, Any]:
    """Load one TOML file.

    Raises:
        ConfigError: the file is missing, unreadable or not valid TOML (the message names the file and the
            line, never the content).
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from exc


def read_default_text(name: str) -> str:
    """The text of a shipped default file in ``config/defaults/``.

    Raises:
        ConfigError: no such default file.
    """
    try:
        return resources.files("config").joinpath("defaults", name).read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"shipped default {name!r} is missing") from exc


def load_default(name: str) -> dict[str, Any]:
    """Load a shipped default TOML file by name (``"emv_samples.toml"``).

    Raises:
        ConfigError: missing or malformed.
    """
    try:
        return tomllib.loads(read_default_text(name))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"shipped default {name!r}: not valid TOML ({exc})") from exc
