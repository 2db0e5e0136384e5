"""Card profiles: the personalisation data of a virtual card, read from TOML (EMV 4.4 Book 3, Annex A).

A profile (``emv/cards/profiles/<name>.toml``) holds what a personalisation bureau writes to a card: the
application's FCI data, AIP and AFL, the records as lists of tags, cardholder data and tracks, the CVM list
and issuer action codes, the DOLs, risk limits and counters, the PIN, the cryptogram version and the issuer
master keys (hex test keys), and names of the pre-generated RSA keys (``data/card_keys.toml``). A profile
may start from another (``base = "visa-cda"``): its tables are merged over the base's, key by key.
:func:`parse_profile` checks everything it can (Luhn, lengths, the AFL against the records, tracks
against the PAN) so a bad profile fails at load with a :class:`ProfileError`, never in a transaction.

Sections: ``[application]`` ``[cardholder]`` ``[risk]`` ``[crypto]`` ``[records]`` (``"SFI.record" = [tags]``)
``[tags]`` (extra data objects, ``"9F44" = "02"``) ``[faults]`` ``[pse]`` ``[log]``; the shipped profiles show
every key.

Tracks are given as strings without sentinels and parsed with :mod:`emv.track`, which also encodes the
magnetic stripe image and tag ``57``.

>>> list(load_profile_data("pin-blocked")["cardholder"])[:2]
['pan', 'psn']
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from emv.cards.cvn import CARD_CRYPTOGRAMS, CardCryptogram
from emv.cards.errors import ProfileError
from emv.cards.resources import read_package_toml
from emv.dol import Dol, DolError, parse_dol
from emv.track import Track1, Track2, TrackError, is_luhn_valid, parse_track1, parse_track2

__all__ = ["Profile", "load_profile_data", "parse_profile"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    """One card's personalisation data; the repr shows the profile name only."""

    name: str
    # application (FCI, GPO)
    aid: bytes
    label: str
    priority: int | None
    language: str
    pdol: bytes
    gpo_format: int
    aip: bytes
    afl: bytes
    app_version: bytes
    usage_control: bytes
    issuer_country: bytes
    currency: bytes
    genac_format: int
    sdad_format: int
    # cardholder
    pan: str = field(repr=False)
    psn: str
    effective: datetime.date
    expiry: datetime.date
    service_code: str
    cardholder_name: str = field(repr=False)
    track1: Track1
    track2: Track2
    pin: str = field(repr=False)
    pin_try_limit: int
    pin_try_counter: int
    # risk management
    cvm_list: bytes
    iac_denial: bytes
    iac_online: bytes
    iac_default: bytes
    cdol1: bytes
    cdol2: bytes
    ddol: bytes
    atc: int
    last_online_atc: int
    lower_offline_limit: int
    upper_offline_limit: int
    online_if_new_card: bool
    decline_if_issuer_auth_fails: bool
    always_decline: bool
    # cryptography
    cryptogram: CardCryptogram
    dki: int
    imk_ac: bytes = field(repr=False)
    imk_smi: bytes = field(repr=False)
    imk_smc: bytes = field(repr=False)
    issuer_key: str
    icc_key: str | None
    issuer_id: str
    issuer_cert_serial: bytes
    issuer_cert_expiry: datetime.date
    icc_cert_serial: bytes
    icc_cert_expiry: datetime.date
    dac: bytes
    static_tag_list: bytes
    script_mac_length: int
    # records, extra tags, directory, log, faults
    records: MappingProxyType[tuple[int, int], tuple[int, ...]]
    extra_tags: MappingProxyType[int, bytes]
    pse_sfi: int | None
    log_sfi: int | None
    log_records: int
    log_format: bytes
    corrupt_ssad: bool
    corrupt_sdad: bool
    app_blocked: bool
    genac_sw: int | None

    @property
    def cdol1_list(self) -> Dol:
        return parse_dol(self.cdol1)

    @property
    def cdol2_list(self) -> Dol:
        return parse_dol(self.cdol2)

    @property
    def pdol_list(self) -> Dol:
        return parse_dol(self.pdol)

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"Profile({self.name!r})"


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_profile_data(name: str, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The TOML tables of profile ``name`` with its ``base`` chain merged in.

    Raises:
        ProfileError: no such profile, invalid TOML, or a base cycle.
    """
    if name in _seen:
        raise ProfileError(name, "base", "forms a cycle")
    data = read_package_toml("profiles", name)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ProfileError(name, "base", "is not a profile name")
    return _merge(load_profile_data(base, (*_seen, name)), data)


class _Section:
    """Typed reads from one TOML table; every error names ``section.key``."""

    def __init__(self, profile: str, data: dict[str, Any], section: str) -> None:
        self.profile, self.section = profile, section
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ProfileError(profile, section, "is not a table")
        self.table = table

    def error(self, key: str, reason: str) -> ProfileError:
        return ProfileError(self.profile, f"{self.section}.{key}", reason)

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        value = self.table.get(key, default)
        if value is ...:
            raise self.error(key, "is missing")
        if (value is not None and not isinstance(value, kind)) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"is not of type {kind.__name__}")
        return value

    def hex(self, key: str, lengths: tuple[int, ...] | None = None, default: str | None = None) -> bytes:
        text = self.get(key, str, default)
        try:
            value = bytes.fromhex("".join(text.split()))
        except ValueError:
            raise self.error(key, "is not hex") from None
        if lengths is not None and len(value) not in lengths:
            raise self.error(key, f"is {len(value)} bytes, expected {' or '.join(map(str, lengths))}")
        return value

    def digits(self, key: str, lengths: range) -> str:
        text: str = self.get(key, str)
        if not (text.isascii() and text.isdigit()) or len(text) not in lengths:
            raise self.error(key, f"is not {lengths.start}..{lengths.stop - 1} decimal digits")
        return text

    def integer(self, key: str, low: int, high: int, default: int | None = None) -> int:
        value: int = self.get(key, int, default)
        if not low <= value <= high:
            raise self.error(key, f"is outside {low}..{high}")
        return value

    def date(self, key: str, default: datetime.date | None = None) -> datetime.date:
        value: datetime.date = self.get(key, datetime.date, default)
        return value


def _records(profile: str, data: dict[str, Any]) -> dict[tuple[int, int], tuple[int, ...]]:
    out: dict[tuple[int, int], tuple[int, ...]] = {}
    for key, tags in data.get("records", {}).items():
        sfi_text, _, rec_text = key.partition(".")
        try:
            sfi, rec = int(sfi_text), int(rec_text)
            if not (1 <= sfi <= 30 and 1 <= rec <= 255) or not isinstance(tags, list):
                raise ValueError
            out[(sfi, rec)] = tuple(int(t, 16) for t in tags)
        except (ValueError, TypeError):
            raise ProfileError(profile, f"records.{key}", "is not 'SFI.record' = [hex tags]") from None
    return out


def _check_afl(profile: str, afl: bytes, records: dict[tuple[int, int], tuple[int, ...]]) -> None:
    if not afl or len(afl) % 4:
        raise ProfileError(profile, "application.afl", "is not a non-empty multiple of 4 bytes")
    for i in range(0, len(afl), 4):
        sfi, first, last, oda = afl[i] >> 3, afl[i + 1], afl[i + 2], afl[i + 3]
        if afl[i] & 7 or not 1 <= sfi <= 30 or not 1 <= first <= last or oda > last - first + 1:
            raise ProfileError(profile, "application.afl", f"entry {i // 4 + 1} is malformed (Book 3, 10.2)")
        for rec in range(first, last + 1):
            if (sfi, rec) not in records:
                raise ProfileError(profile, "records", f"lack SFI {sfi} record {rec} of the AFL")


def _tracks(holder: _Section, pan: str, expiry: datetime.date, svc: str) -> tuple[Track1, Track2]:
    """Parse both tracks and check they hold the card's PAN, expiry and service code (ISO/IEC 7813)."""
    key = "track1"
    try:
        track1 = parse_track1(holder.get(key, str))
        key = "track2"
        track2 = parse_track2(holder.get(key, str))
    except TrackError as exc:
        raise holder.error(key, f"is not a track ({exc.reason})") from None
    card = (pan, expiry.strftime("%y%m"), svc)
    for key, track in (("track1", track1), ("track2", track2)):
        if (track.pan.digits, track.expiry_yymm, track.service_code.digits) != card:
            raise holder.error(key, "does not hold the PAN, expiry and service code")
    return track1, track2


def _check_cdol_covers(profile: str, cryptogram: CardCryptogram, pdol: bytes, cdol1: bytes) -> None:
    """The terminal data the cryptogram covers must come from the PDOL or CDOL1 (Book 2, 8.1.1)."""
    asked = {tag for tag, _ in parse_dol(pdol) + parse_dol(cdol1)}
    for tag in cryptogram.version.data_tags:
        if tag not in (0x82, 0x9F36, 0x9F10) and tag not in asked:
            raise ProfileError(profile, "risk.cdol1", f"lacks tag {tag:02X}, which the cryptogram covers")


def parse_profile(name: str, data: dict[str, Any]) -> Profile:
    """Check and convert the merged TOML tables of a profile.

    Raises:
        ProfileError: a missing or malformed entry, or entries that contradict each other.
    """
    app, holder = _Section(name, data, "application"), _Section(name, data, "cardholder")
    risk, crypto = _Section(name, data, "risk"), _Section(name, data, "crypto")
    faults, pse, log = (
        _Section(name, data, "faults"),
        _Section(name, data, "pse"),
        _Section(name, data, "log"),
    )
    pan = holder.digits("pan", range(12, 20))
    if not is_luhn_valid(pan):
        raise holder.error("pan", "fails the Luhn check")
    expiry, svc = holder.date("expiry"), holder.digits("service_code", range(3, 4))
    track1, track2 = _tracks(holder, pan, expiry, svc)
    records = _records(name, data)
    afl = app.hex("afl")
    _check_afl(name, afl, records)
    version_name = crypto.get("cryptogram_version", str)
    if version_name not in CARD_CRYPTOGRAMS:
        raise crypto.error("cryptogram_version", f"is not one of {', '.join(sorted(CARD_CRYPTOGRAMS))}")
    for key in ("pdol", "cdol1", "cdol2", "ddol"):
        try:
            parse_dol((app if key == "pdol" else risk).hex(key, default=""))
        except DolError:
            raise ProfileError(name, key, "is not a well-formed DOL") from None
    _check_cdol_covers(name, CARD_CRYPTOGRAMS[version_name], app.hex("pdol", default=""), risk.hex("cdol1"))
    pin_limit = holder.integer("pin_try_limit", 1, 15)
    extra: dict[int, bytes] = {}
    for tag, value in data.get("tags", {}).items():
        try:
            extra[int(tag, 16)] = bytes.fromhex(value)
        except (ValueError, TypeError):
            raise ProfileError(name, f"tags.{tag}", "is not 'hex tag' = 'hex value'") from None
    genac_sw = faults.get("genac_sw", str, None)
    return Profile(
        name=name,
        aid=app.hex("aid", tuple(range(5, 17))),
        label=app.get("label", str),
        priority=app.get("priority", int, None),
        language=app.get("language", str, "en"),
        pdol=app.hex("pdol", default=""),
        gpo_format=app.integer("gpo_format", 1, 2),
        aip=app.hex("aip", (2,)),
        afl=afl,
        app_version=app.hex("app_version", (2,)),
        usage_control=app.hex("usage_control", (2,)),
        issuer_country=app.hex("issuer_country", (2,)),
        currency=app.hex("currency", (2,)),
        genac_format=app.integer("genac_format", 1, 2),
        sdad_format=app.integer("sdad_format", 1, 2),
        pan=pan,
        psn=holder.digits("psn", range(2, 3)),
        effective=holder.date("effective"),
        expiry=expiry,
        service_code=svc,
        cardholder_name=holder.get("name", str),
        track1=track1,
        track2=track2,
        pin=holder.digits("pin", range(4, 13)),
        pin_try_limit=pin_limit,
        pin_try_counter=holder.integer("pin_try_counter", 0, pin_limit, pin_limit),
        cvm_list=risk.hex("cvm_list"),
        iac_denial=risk.hex("iac_denial", (5,)),
        iac_online=risk.hex("iac_online", (5,)),
        iac_default=risk.hex("iac_default", (5,)),
        cdol1=risk.hex("cdol1"),
        cdol2=risk.hex("cdol2"),
        ddol=risk.hex("ddol", default=""),
        atc=risk.integer("atc", 0, 0xFFFE),
        last_online_atc=risk.integer("last_online_atc", 0, 0xFFFE),
        lower_offline_limit=risk.integer("lower_offline_limit", 0, 255),
        upper_offline_limit=risk.integer("upper_offline_limit", 0, 255),
        online_if_new_card=risk.get("online_if_new_card", bool, True),
        decline_if_issuer_auth_fails=risk.get("decline_if_issuer_auth_fails", bool, True),
        always_decline=risk.get("always_decline", bool, False),
        cryptogram=CARD_CRYPTOGRAMS[version_name],
        dki=crypto.integer("dki", 0, 255),
        imk_ac=crypto.hex("imk_ac", (16,)),
        imk_smi=crypto.hex("imk_smi", (16,)),
        imk_smc=crypto.hex("imk_smc", (16,)),
        issuer_key=crypto.get("issuer_key", str),
        icc_key=crypto.get("icc_key", str, None),
        issuer_id=crypto.get("issuer_id", str, pan[:6]),
        issuer_cert_serial=crypto.hex("issuer_cert_serial", (3,)),
        issuer_cert_expiry=crypto.date("issuer_cert_expiry"),
        icc_cert_serial=crypto.hex("icc_cert_serial", (3,), "000001"),
        icc_cert_expiry=crypto.date("icc_cert_expiry", expiry),
        dac=crypto.hex("dac", (2,), "0000"),
        static_tag_list=crypto.hex("static_tag_list", default=""),
        script_mac_length=crypto.integer("script_mac_length", 4, 8, 8),
        records=MappingProxyType(records),
        extra_tags=MappingProxyType(extra),
        pse_sfi=pse.integer("sfi", 1, 10, None) if "sfi" in pse.table else None,
        log_sfi=log.integer("sfi", 11, 30, None) if "sfi" in log.table else None,
        log_records=log.integer("records", 1, 30, 10),
        log_format=log.hex("format", default=""),
        corrupt_ssad=faults.get("corrupt_ssad", bool, False),
        corrupt_sdad=faults.get("corrupt_sdad", bool, False),
        app_blocked=faults.get("app_blocked", bool, False),
        genac_sw=None if genac_sw is None else int(faults.hex("genac_sw", (2,)).hex(), 16),
    )
