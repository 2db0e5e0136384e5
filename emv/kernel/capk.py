"""Certification authority public keys (CAPKs) for offline data authentication (EMV 4.4 Book 2, 5.1 and 11.2).

The store reads the text format of ``config/defaults/capk_test_keys.txt`` (the published Visa, Mastercard
and UnionPay test keys) and ``capk_posemu_test.txt`` (posemu's own test CA, whose private half only the
virtual cards hold). Each key's checksum, SHA-1 over RID | index | modulus | exponent (Book 2 11.2), is
verified on load: a key that fails it is a :class:`ConfigError`, never silently used.

A key block is::

    RID=A000000003 INDEX=95 EXP=03 BITS=1152
    MODULUS=BE9E...
    SHA1=EE15...
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from config.errors import ConfigError
from config.load import read_default_text

__all__ = ["Capk", "CapkStore", "default_capks", "parse_capks"]

DEFAULT_FILES = ("capk_test_keys.txt", "capk_posemu_test.txt")


@dataclass(frozen=True)
class Capk:
    """One CA public key: RID, index, modulus and exponent (as big-endian bytes)."""

    rid: bytes
    index: int
    modulus: bytes
    exponent: bytes

    @property
    def checksum(self) -> bytes:
        """SHA-1 of RID | index | modulus | exponent (Book 2 section 11.2)."""
        return hashlib.sha1(self.rid + bytes((self.index,)) + self.modulus + self.exponent).digest()


def parse_capks(text: str, source: str = "CAPK file") -> list[Capk]:
    """Parse the key blocks of one CAPK text file and verify each checksum.

    Raises:
        ConfigError: a malformed block or a checksum mismatch (names the file, line, RID and index).
    """
    keys: list[Capk] = []
    head: dict[str, str] = {}
    modulus: bytes | None = None
    head_line = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("RID="):
            head = dict(part.split("=", 1) for part in line.split() if "=" in part)
            modulus, head_line = None, lineno
        elif line.startswith("MODULUS="):
            modulus = _hex(line[8:], source, lineno)
        elif line.startswith("SHA1="):
            if not head or modulus is None:
                raise ConfigError(f"{source}:{lineno}: SHA1 without RID and MODULUS lines")
            try:
                key = Capk(
                    rid=bytes.fromhex(head["RID"]),
                    index=int(head["INDEX"], 16),
                    modulus=modulus,
                    exponent=bytes.fromhex(head["EXP"]),
                )
            except (KeyError, ValueError):
                raise ConfigError(f"{source}:{head_line}: RID, INDEX and EXP expected") from None
            if key.checksum != _hex(line[5:], source, lineno):
                where = f"{head['RID']} index {head['INDEX']}"
                raise ConfigError(f"{source}:{lineno}: checksum mismatch for {where}")
            if "BITS" in head and int(head["BITS"]) != len(modulus) * 8:
                raise ConfigError(f"{source}:{head_line}: BITS does not match the modulus length")
            keys.append(key)
            head, modulus = {}, None
        else:
            raise ConfigError(f"{source}:{lineno}: unexpected line")
    return keys


def _hex(text: str, source: str, lineno: int) -> bytes:
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigError(f"{source}:{lineno}: not hex") from None


class CapkStore:
    """CA public keys by (RID, index)."""

    def __init__(self, keys: Iterable[Capk]) -> None:
        self._keys = {(k.rid, k.index): k for k in keys}

    def get(self, rid: bytes, index: int) -> Capk | None:
        """The key for a RID (first 5 bytes of the AID) and the card's CA public key index (8F)."""
        return self._keys.get((bytes(rid[:5]), index))

    def __len__(self) -> int:
        return len(self._keys)


def default_capks() -> CapkStore:
    """The shipped test CAPKs, checksums verified.

    >>> store = default_capks()
    >>> store.get(bytes.fromhex("A000000003"), 0x92) is not None
    True
    """
    keys: list[Capk] = []
    for name in DEFAULT_FILES:
        try:
            text = read_default_text(name)
        except ConfigError:
            if name == DEFAULT_FILES[0]:
                raise
            continue  # the posemu test CA file is optional in a production image
        keys += parse_capks(text, name)
    return CapkStore(keys)
