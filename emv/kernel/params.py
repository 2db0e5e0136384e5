"""Terminal parameters the kernel reads: AIDs with action codes and risk limits, capabilities, codes.

EMV 4.4 Book 4 section 6.4 (terminal data) and Book 3 sections 10.6 (terminal risk management) and 10.7
(terminal action analysis). Loaded from TOML (``config/defaults/terminal.toml`` ships the defaults) into
frozen dataclasses; every value is checked on load and a bad one is a :class:`ConfigError` naming the key.

The optional ``[emv.contactless]`` table configures the contactless reader (EMV Contactless Book A 5.7 and
Book B 3.1): the Terminal Transaction Qualifiers (9F66) base, the C-2 CVM capabilities, and per AID and
kernel (a *combination*) the reader contactless transaction limit, floor limit and CVM required limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from config.errors import ConfigError
from config.load import load_default

__all__ = [
    "AidParams",
    "ContactlessParams",
    "ReaderCombination",
    "Revocation",
    "TerminalParams",
    "default_params",
    "params_from_toml",
]


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
class ReaderCombination:
    """One AID-kernel combination of the contactless reader and its limits (Book B 3.1, Book A 5.7).

    Limits are in minor units; ``None`` means the limit is not configured and its check is skipped.
    """

    aid: bytes  # a card ADF name matches when it starts with this AID (Book B 3.3.2.5)
    kernel_id: int  # EMVCo kernel identifier: 2 (C-2), 3 (C-3), 7 (UnionPay qPBOC)
    label: str
    transaction_limit: int | None  # Reader Contactless Transaction Limit: amount >= it, not allowed
    floor_limit: int | None  # Reader Contactless Floor Limit: amount > it, online cryptogram required
    cvm_limit: int | None  # Reader CVM Required Limit: amount >= it, CVM required
    ttq: bytes  # Terminal Transaction Qualifiers 9F66 before pre-processing
    status_check: bool  # an amount of one currency unit asks for an online cryptogram
    zero_amount_allowed: bool  # a zero amount goes online instead of being refused

    def matches(self, adf_name: bytes) -> bool:
        """Whether a card's ADF name selects this combination's AID (exact or partial, Book B 3.3.2.5)."""
        return adf_name.startswith(self.aid)


@dataclass(frozen=True)
class ContactlessParams:
    """The contactless reader: TTQ base, the C-2 CVM capabilities, and its combinations in order."""

    ttq: bytes  # 9F66 base (a combination may override it)
    cvm_capability_required: int  # 9F33 byte 2 for C-2 when a CVM is required (Book C-2 'CVM Required')
    cvm_capability_no_cvm: int  # 9F33 byte 2 for C-2 below the CVM required limit
    combinations: tuple[ReaderCombination, ...]

    def combination(self, adf_name: bytes, kernel_id: int) -> ReaderCombination | None:
        """The combination for a card application and kernel: the longest matching AID, else None."""
        found = [c for c in self.combinations if c.kernel_id == kernel_id and c.matches(adf_name)]
        return max(found, key=lambda c: len(c.aid)) if found else None


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
    contactless: ContactlessParams | None = None  # None: the terminal has no contactless reader

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


def _hex(section: Mapping[str, Any], key: str, size: int | None = None, where: str = "emv") -> bytes:
    value = section.get(key)
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key}: expected a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ConfigError(f"{where}.{key}: not hex") from None
    if size is not None and len(raw) != size:
        raise ConfigError(f"{where}.{key}: expected {size} bytes, got {len(raw)}")
    return raw


def _int(section: Mapping[str, Any], key: str, lo: int = 0, hi: int = 10**12, where: str = "emv") -> int:
    value = section.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ConfigError(f"{where}.{key}: expected an integer in {lo}..{hi}")
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


_CL = "emv.contactless"


def _limit(entry: Mapping[str, Any], key: str) -> int | None:
    return None if key not in entry else _int(entry, key, where=f"{_CL}.aid")


def _flag(entry: Mapping[str, Any], key: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{_CL}.aid.{key}: expected true or false")
    return value


def _combination(entry: Mapping[str, Any], ttq: bytes) -> ReaderCombination:
    where = f"{_CL}.aid"
    aid = _hex(entry, "aid", where=where)
    if not 5 <= len(aid) <= 16:
        raise ConfigError(f"{where}.aid: an AID has 5 to 16 bytes")
    return ReaderCombination(
        aid=aid,
        kernel_id=_int(entry, "kernel_id", 1, 0x3F, where=where),
        label=str(entry.get("label", "")),
        transaction_limit=_limit(entry, "transaction_limit"),
        floor_limit=_limit(entry, "floor_limit"),
        cvm_limit=_limit(entry, "cvm_limit"),
        ttq=_hex(entry, "ttq", 4, where=where) if "ttq" in entry else ttq,
        status_check=_flag(entry, "status_check", False),
        zero_amount_allowed=_flag(entry, "zero_amount_allowed", True),
    )


def _contactless(table: Any) -> ContactlessParams | None:
    """The ``[emv.contactless]`` table, or None when the terminal has none."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"{_CL}: expected a table")
    ttq = _hex(table, "ttq", 4, where=_CL)
    entries: Sequence[Mapping[str, Any]] = table.get("aid", [])
    if not entries:
        raise ConfigError(f"{_CL}.aid: the reader supports no contactless application")
    return ContactlessParams(
        ttq=ttq,
        cvm_capability_required=_hex(table, "cvm_capability_required", 1, where=_CL)[0],
        cvm_capability_no_cvm=_hex(table, "cvm_capability_no_cvm", 1, where=_CL)[0],
        combinations=tuple(_combination(e, ttq) for e in entries),
    )


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
    if not isinstance(ifd, str) or len(ifd) != 8 or not ifd.isascii():
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
        contactless=_contactless(emv.get("contactless")),
    )


def default_params() -> TerminalParams:
    """The shipped terminal parameters (``config/defaults/terminal.toml``).

    >>> default_params().aid_params(bytes.fromhex("A000000333010101")).label
    'UnionPay Debit'
    >>> default_params().contactless.combination(bytes.fromhex("A000000333010101"), 7).cvm_limit
    100000
    """
    return params_from_toml(load_default("terminal.toml"))
