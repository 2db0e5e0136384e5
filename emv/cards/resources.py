"""The shipped emulation data of the virtual cards: profiles and test keys, read as package data.

``config/load.py`` is the project's reader of configuration files; card profiles and test keys are not
configuration but emulation data shipped inside ``emv/cards`` (``profiles/*.toml``, ``data/*.toml``), so
this module holds the one small loader that reads them, through :mod:`importlib.resources` (an installed
wheel finds them too) and :mod:`tomllib`. Nothing is read at import time.
"""

from __future__ import annotations

import logging
import tomllib
from importlib import resources
from typing import Any

from emv.cards.errors import ProfileError

__all__ = ["list_profile_names", "read_package_toml"]

log = logging.getLogger(__name__)

_PACKAGE = "emv.cards"


def read_package_toml(folder: str, name: str) -> dict[str, Any]:
    """Load ``emv/cards/<folder>/<name>.toml``.

    Raises:
        ProfileError: the file is missing or not valid TOML (the message holds the name, never content).
    """
    try:
        text = resources.files(_PACKAGE).joinpath(folder).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ProfileError(name, f"{folder}/{name}.toml", "is missing") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(name, f"{folder}/{name}.toml", f"is not valid TOML ({exc})") from exc


def list_profile_names() -> list[str]:
    """The names of the shipped profiles (``profiles/<name>.toml``), sorted."""
    folder = resources.files(_PACKAGE).joinpath("profiles")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))
