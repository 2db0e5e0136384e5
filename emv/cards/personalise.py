"""Personalisation: from a profile to the image of a card's files (EMV 4.4 Book 3, 5 and 10.3; Book 2, 5-6).

:func:`personalise` computes everything static once per profile: the data elements from the profile, the
issuer public key certificate (signed by the posemu test CA), the static data to be authenticated (the
records the AFL marks for offline data authentication, plus the values of the ``9F4A`` tag list), then the
ICC public key certificate or the signed static application data over it, the records (template ``70``), the
FCI of the application and, if the profile has one, of the PSE with its directory records. The result,
a frozen :class:`CardImage`, is cached per profile name by :mod:`emv.cards`; each card copies what it may
change (records updated by PUT DATA) into its own state.

Static data to be authenticated (Book 3, 10.3): for a record of an SFI 1 to 10, the value of its template
``70``; for SFI 11 to 30, the whole record with its tag and length.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from emv.cards.certs import build_icc_certificate, build_issuer_certificate, build_ssad, pad_identifier
from emv.cards.errors import ProfileError
from emv.cards.keys import RsaKeyPair, load_ca_key, load_card_key
from emv.cards.profile import Profile
from emv.crypto.errors import CryptoError
from emv.tlv import encode
from emv.track import encode_track2_equivalent

__all__ = ["CERT_TAGS", "PSE_NAME", "CardImage", "build_record", "personalise"]

log = logging.getLogger(__name__)

PSE_NAME = b"1PAY.SYS.DDF01"
CERT_TAGS = frozenset((0x93, 0x9F46, 0x9F48))
"""Data elements signed over the static data, which therefore cannot be part of it."""
_OPTIONAL = frozenset((0x92, 0x9F48))  # absent when the certificate holds the whole key

Records = Mapping[tuple[int, int], tuple[tuple[int, bytes], ...]]


@dataclass(frozen=True)
class CardImage:
    """What personalisation wrote to a card; the repr shows the profile name only."""

    profile: Profile
    fci: bytes = field(repr=False)
    pse_fci: bytes | None = field(repr=False)
    pse_records: Mapping[int, bytes] = field(repr=False)
    records: Records = field(repr=False)
    data: Mapping[int, bytes] = field(repr=False)
    static_data: bytes = field(repr=False)
    icc_key: RsaKeyPair | None = field(repr=False)

    def __repr__(self) -> str:
        return f"CardImage({self.profile.name!r})"


def _bcd_date(day: datetime.date) -> bytes:
    return bytes.fromhex(day.strftime("%y%m%d"))


def _mmyy(day: datetime.date) -> bytes:
    return bytes.fromhex(day.strftime("%m%y"))


def _cn(digits: str) -> bytes:
    return bytes.fromhex(digits + "F" * (len(digits) % 2))


def _profile_data(p: Profile) -> dict[int, bytes]:
    """The data elements a profile defines directly (Book 3, Annex A)."""
    data = {
        0x4F: p.aid,
        0x50: p.label.encode("ascii"),
        0x57: bytes.fromhex(encode_track2_equivalent(p.track2)),
        0x5A: _cn(p.pan),
        0x5F20: p.cardholder_name.encode("ascii"),
        0x5F24: _bcd_date(p.expiry),
        0x5F25: _bcd_date(p.effective),
        0x5F28: p.issuer_country,
        0x5F2D: p.language.encode("ascii"),
        0x5F30: bytes.fromhex("0" + p.service_code),
        0x5F34: bytes.fromhex(p.psn),
        0x82: p.aip,
        0x8C: p.cdol1,
        0x8D: p.cdol2,
        0x8E: p.cvm_list,
        0x94: p.afl,
        0x9F07: p.usage_control,
        0x9F08: p.app_version,
        0x9F0D: p.iac_default,
        0x9F0E: p.iac_denial,
        0x9F0F: p.iac_online,
        0x9F14: bytes((p.lower_offline_limit,)),
        0x9F1F: p.track1.discretionary.encode("ascii"),
        0x9F23: bytes((p.upper_offline_limit,)),
        0x9F42: p.currency,
    }
    if p.priority is not None:
        data[0x87] = bytes((p.priority,))
    for tag, value in (
        (0x9F38, p.pdol),
        (0x9F49, p.ddol),
        (0x9F4A, p.static_tag_list),
        (0x9F4F, p.log_format),
    ):
        if value:
            data[tag] = value
    data.update(p.extra_tags)
    return data


def build_record(items: tuple[tuple[int, bytes], ...]) -> bytes:
    """A record: template ``70`` around its data objects (Book 3, 10.2).

    >>> build_record(((0x5F34, b"\\x01"),)).hex()
    '70045f340101'
    """
    return encode([(0x70, list(items))])


def _record_items(
    p: Profile, data: Mapping[int, bytes], tags: tuple[int, ...]
) -> tuple[tuple[int, bytes], ...]:
    items = []
    for tag in tags:
        value = data.get(tag)
        if value is None and tag not in _OPTIONAL:
            raise ProfileError(p.name, "records", f"name tag {tag:02X}, which the card does not have")
        if value:
            items.append((tag, value))
    return tuple(items)


def _oda_records(p: Profile) -> list[tuple[int, int]]:
    out = []
    for i in range(0, len(p.afl), 4):
        sfi, first, oda = p.afl[i] >> 3, p.afl[i + 1], p.afl[i + 3]
        out += [(sfi, rec) for rec in range(first, first + oda)]
    return out


def _static_data(p: Profile, data: Mapping[int, bytes]) -> bytes:
    """Static data to be authenticated: ODA records per the AFL, then the 9F4A tag list (Book 3, 10.3)."""
    out = bytearray()
    for sfi, rec in _oda_records(p):
        tags = p.records[(sfi, rec)]
        if CERT_TAGS.intersection(tags):
            raise ProfileError(p.name, f"records.{sfi}.{rec}", "is signed yet holds a signature")
        record = build_record(_record_items(p, data, tags))
        out += record if sfi > 10 else record[2 if record[1] < 0x80 else 2 + (record[1] & 0x7F) :]
    for i in range(0, len(p.static_tag_list)):
        if p.static_tag_list[i] != 0x82:
            raise ProfileError(p.name, "crypto.static_tag_list", "may list only 82 (Book 3, 10.3)")
        out += p.aip
    return bytes(out)


def _corrupt(signature: bytes) -> bytes:
    """Flip bits in the last byte: the value stays below the modulus but recovers to garbage."""
    return signature[:-1] + bytes((signature[-1] ^ 0x5A,))


def _sign_static(p: Profile, data: dict[int, bytes]) -> tuple[bytes, RsaKeyPair | None]:
    """Add 8F, 90, 92, 9F32 and 9F46/9F47/9F48 or 93 to ``data``; return the static data and ICC key."""
    ca_index, ca_key = load_ca_key(p.aid[:5])
    issuer_key = load_card_key("issuer", p.issuer_key)
    issuer = build_issuer_certificate(
        ca_key, issuer_key, pad_identifier(p.issuer_id), _mmyy(p.issuer_cert_expiry), p.issuer_cert_serial
    )
    data.update({0x8F: bytes((ca_index,)), 0x90: issuer.certificate, 0x92: issuer.remainder})
    data[0x9F32] = issuer.exponent
    static = _static_data(p, data)
    icc_key = None if p.icc_key is None else load_card_key("icc", p.icc_key)
    if icc_key is not None:
        icc = build_icc_certificate(
            issuer_key, icc_key, p.pan, _mmyy(p.icc_cert_expiry), p.icc_cert_serial, static
        )
        data.update({0x9F46: icc.certificate, 0x9F47: icc.exponent, 0x9F48: icc.remainder})
    if p.aip[0] & 0x40:  # SDA supported: sign the static data too
        ssad = build_ssad(issuer_key, p.dac, static)
        data[0x93] = _corrupt(ssad) if p.corrupt_ssad else ssad
    return static, icc_key


def _fci(p: Profile) -> bytes:
    """FCI of the application (Book 1, 11.3.4, Table 45)."""
    proprietary: list[tuple[int, bytes | list[tuple[int, bytes]]]] = [(0x50, p.label.encode("ascii"))]
    if p.priority is not None:
        proprietary.append((0x87, bytes((p.priority,))))
    if p.pdol:
        proprietary.append((0x9F38, p.pdol))
    proprietary.append((0x5F2D, p.language.encode("ascii")))
    if p.log_sfi is not None:
        proprietary.append((0xBF0C, [(0x9F4D, bytes((p.log_sfi, p.log_records)))]))
    return encode([(0x6F, [(0x84, p.aid), (0xA5, proprietary)])])


def _pse(p: Profile) -> tuple[bytes | None, dict[int, bytes]]:
    """FCI of the PSE and its directory record listing the application (Book 1, 12.2.3)."""
    if p.pse_sfi is None:
        return None, {}
    fci = encode(
        [
            (
                0x6F,
                [
                    (0x84, PSE_NAME),
                    (0xA5, [(0x88, bytes((p.pse_sfi,))), (0x5F2D, p.language.encode("ascii"))]),
                ],
            )
        ]
    )
    entry: list[tuple[int, bytes]] = [(0x4F, p.aid), (0x50, p.label.encode("ascii"))]
    if p.priority is not None:
        entry.append((0x87, bytes((p.priority,))))
    return fci, {1: encode([(0x70, [(0x61, entry)])])}


def personalise(p: Profile) -> CardImage:
    """Compute a card's files, certificates and signed static data from its profile.

    Raises:
        ProfileError: a record names data the card lacks, a signed record holds a signature, a key is
            missing, or the keys do not fit each other (an issuer key longer than the CA key...).
    """
    data = _profile_data(p)
    try:
        static, icc_key = _sign_static(p, data)
    except CryptoError as exc:
        raise ProfileError(p.name, "crypto", f"cannot be personalised ({exc})") from exc
    records = {key: _record_items(p, data, tags) for key, tags in p.records.items()}
    pse_fci, pse_records = _pse(p)
    log.debug("personalised %s: %d records, %d bytes of static data", p.name, len(records), len(static))
    return CardImage(
        profile=p,
        fci=_fci(p),
        pse_fci=pse_fci,
        pse_records=MappingProxyType(pse_records),
        records=MappingProxyType(records),
        data=MappingProxyType(data),
        static_data=static,
        icc_key=icc_key,
    )
