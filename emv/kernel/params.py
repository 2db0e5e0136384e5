"""Terminal parameters the kernel reads: AIDs with action codes and risk limits, capabilities, codes.

EMV 4.4 Book 4 section 6.4 (terminal data) and Book 3 sections 10.6 (terminal risk management) and 10.7
(terminal action analysis). Loaded from TOML (``config/defaults/terminal.toml`` ships the defaults) into
frozen dataclasses; every value is checked on load and a bad one is a :class:`ConfigError` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from config.errors import ConfigError
from config.load import load_default

__all__ = ["AidParams", "Revocation", "TerminalParams", "default_params", "params_from_toml"]


@dataclass(frozen=True)
class AidParams:
    """One application the terminal supports, with its action codes and offline risk limits."""

    aid: bytes
    label: str
    partial_selection: bool
    app_version: bytes  # 9F09
    tac_default: bytes
    tac_online: bytes
    tac_denial: bytes
    floor_limit: int  # minor units
    random_threshold: int
    random_target_percent: int
    random_max_percent: int


@dataclass(frozen=True)
class Revocation:
    """An issuer certificate the payment system revoked (Book 2 section 5.1.1, step 10)."""

    rid: bytes
    index: int
    serial: bytes


@dataclass(frozen=True)
class TerminalParams:
    """The terminal's EMV data (Book 4 Annex A) and its supported applications."""

    terminal_country: int
    transaction_currency: int
    currency_exponent: int
    terminal_type: int
    terminal_capabilities: bytes  # 9F33
    additional_capabilities: bytes  # 9F40
    ifd_serial: bytes  # 9F1E
    merchant_category_code: int
    default_ddol: bytes
    default_tdol: bytes
    aids: tuple[AidParams, ...]
    revoked: frozenset[Revocation] = field(default_factory=frozenset)

    def aid_params(self, aid: bytes) -> AidParams | None:
        """The parameters of the terminal AID matching a card AID (exactly, or as its prefix when
        partial selection is allowed, Book 1 section 12.3.1)."""
        best: AidParams | None = None
        for p in self.aids:
            if aid == p.aid:
                return p
            if p.partial_selection and aid.startswith(p.aid) and (best is None or len(p.aid) > len(best.aid)):
                best = p
        return best

    def supports(self, byte: int, mask: int) -> bool:
        """A bit of the terminal capabilities 9F33 (Book 4 Annex A2); ``byte`` counts from 1."""
        return bool(self.terminal_capabilities[byte - 1] & mask)


def _hex(section: Mapping[str, Any], key: str, size: int | None = None) -> bytes:
    value = section.get(key)
    if not isinstance(value, str):
        raise ConfigError(f"emv.{key}: expected a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ConfigError(f"emv.{key}: not hex") from None
    if size is not None and len(raw) != size:
        raise ConfigError(f"emv.{key}: expected {size} bytes, got {len(raw)}")
    return raw


def _int(section: Mapping[str, Any], key: str, lo: int = 0, hi: int = 10**12) -> int:
    value = section.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ConfigError(f"emv.{key}: expected an integer in {lo}..{hi}")
    return value


def _aid(entry: Mapping[str, Any]) -> AidParams:
    aid = _hex(entry, "aid")
    if not 5 <= len(aid) <= 16:
        raise ConfigError("emv.aid: an AID has 5 to 16 bytes")
    target = _int(entry, "random_target_percent", 0, 99)
    maximum = _int(entry, "random_max_percent", 0, 99)
    if maximum < target:
        raise ConfigError(f"emv.aid {aid.hex().upper()}: random_max_percent below random_target_percent")
    return AidParams(
        aid=aid,
        label=str(entry.get("label", "")),
        partial_selection=bool(entry.get("partial_selection", True)),
        app_version=_hex(entry, "app_version", 2),
        tac_default=_hex(entry, "tac_default", 5),
        tac_online=_hex(entry, "tac_online", 5),
        tac_denial=_hex(entry, "tac_denial", 5),
        floor_limit=_int(entry, "floor_limit"),
        random_threshold=_int(entry, "random_threshold"),
        random_target_percent=target,
        random_max_percent=maximum,
    )


def _revocation(entry: Mapping[str, Any]) -> Revocation:
    return Revocation(_hex(entry, "rid", 5), _int(entry, "index", 0, 255), _hex(entry, "serial", 3))


def params_from_toml(data: Mapping[str, Any]) -> TerminalParams:
    """Build :class:`TerminalParams` from the ``[emv]`` table of a terminal TOML document.

    Raises:
        ConfigError: a missing or malformed value (the message names the key).
    """
    emv = data.get("emv")
    if not isinstance(emv, Mapping):
        raise ConfigError("emv: missing [emv] table")
    aids: Sequence[Mapping[str, Any]] = emv.get("aid", [])
    if not aids:
        raise ConfigError("emv.aid: the terminal supports no application")
    ifd = emv.get("ifd_serial", "")
    if not isinstance(ifd, str) or len(ifd.encode("ascii", "replace")) != 8:
        raise ConfigError("emv.ifd_serial: expected 8 ASCII characters")
    ddol = _hex(emv, "default_ddol")
    if b"\x9f\x37" not in ddol:
        raise ConfigError("emv.default_ddol: must contain the unpredictable number 9F37 (Book 2 6.5.1)")
    return TerminalParams(
        terminal_country=_int(emv, "terminal_country", 0, 999),
        transaction_currency=_int(emv, "transaction_currency", 0, 999),
        currency_exponent=_int(emv, "currency_exponent", 0, 3),
        terminal_type=_int(emv, "terminal_type", 0, 0xFF),
        terminal_capabilities=_hex(emv, "terminal_capabilities", 3),
        additional_capabilities=_hex(emv, "additional_capabilities", 5),
        ifd_serial=ifd.encode("ascii"),
        merchant_category_code=_int(emv, "merchant_category_code", 0, 9999),
        default_ddol=ddol,
        default_tdol=_hex(emv, "default_tdol"),
        aids=tuple(_aid(a) for a in aids),
        revoked=frozenset(_revocation(r) for r in emv.get("revoked", [])),
    )


def default_params() -> TerminalParams:
    """The shipped terminal parameters (``config/defaults/terminal.toml``).

    >>> default_params().aid_params(bytes.fromhex("A000000333010101")).label
    'UnionPay Debit'
    """
    return params_from_toml(load_default("terminal.toml"))
