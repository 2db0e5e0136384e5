"""The terminal's key store: the terminal master key, the journal's data key, and the session keys.

A countertop terminal keeps its TMK in a secure element; the emulator keeps it in a file readable by its
owner only (mode 0600) in the terminal's data directory, next to a random 32-byte data key that encrypts
PANs in the journal. Session keys (PIK, MAK) come from each sign-on and are never stored: the MAK lives in
the host link, the PIK in the terminal's memory; after a power cut the operator logs in and the terminal
signs on again (DOMAIN_FACTS A, sign-on).
Keys never appear in logs, reprs or errors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from config.errors import ConfigError

__all__ = ["KeyStore"]


class KeyStore:
    """Keys by role; ``path`` is the JSON file (created with mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, str] = {}
        if path.exists():
            try:
                self._data = json.loads(path.read_text(encoding="ascii"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{path}: the key store cannot be read") from exc
        if "data_key" not in self._data:
            self._data["data_key"] = os.urandom(32).hex()
            self._save()

    def __repr__(self) -> str:
        return f"KeyStore({self.path.name}, tmk={'set' if self.has_tmk else 'none'})"

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            json.dump(self._data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @property
    def data_key(self) -> bytes:
        return bytes.fromhex(self._data["data_key"])

    @property
    def has_tmk(self) -> bool:
        return "tmk" in self._data

    @property
    def tmk(self) -> bytes:
        if "tmk" not in self._data:
            raise ConfigError("no terminal master key: the terminal is not activated")
        return bytes.fromhex(self._data["tmk"])

    def inject_tmk(self, tmk: bytes) -> None:
        """Load the terminal master key (key injection at activation).

        Raises:
            ConfigError: not a single, double or triple length DES key.
        """
        if len(tmk) not in (8, 16, 24):
            raise ConfigError("a terminal master key has 8, 16 or 24 bytes")
        self._data["tmk"] = tmk.hex()
        self._save()

    def wipe(self) -> None:
        """Forget every key (decommissioning): the file is overwritten, then removed."""
        self._data = {k: "00" * 32 for k in self._data}
        self._save()
        self.path.unlink()
        self._data = {}
