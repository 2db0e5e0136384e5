"""Cryptogram versions as the card applies them: issuer application data and card verification results.

The key derivation, padding, ARPC method and covered data of each version are data in
:mod:`emv.crypto.ac` (EMV 4.4 Book 2, 8.1 and Annex A1); this module adds what only the card needs: the
cryptogram version number it writes in the IAD (``9F10``) and the IAD layout carrying the card
verification results (CVR) its risk management computed.

- ``VISA_CVN18`` (:data:`emv.crypto.ac.VISA_CVN18`) and ``VISA_CVN10``: Visa format IAD
  ``06 | DKI | CVN | CVR (03 + 3 bytes)``, 7 bytes; CVN18 covers the whole IAD, CVN10 the CVR.
- ``PBOC_CVN01`` (:data:`emv.crypto.ac.PBOC_CVN01`, the PBOC process key from the ATC): PBOC 3.0 IAD
  ``07 | DKI | 01 | CVR (4) | 01 (algorithm: TDES) | 0A 01 00 00 00 00 00 00 00 00 00`` (19 bytes, the
  layout of the real CUP field 55 in DOMAIN_FACTS vector 1, issuer discretionary data zeroed); the CVR is
  the Visa one.
- ``MCHIP_CVN20`` (:data:`MCHIP_CVN20`, defined here): a Mastercard-like version, not M/Chip-exact (the M/Chip
  algorithms are proprietary): ICC master key by option A, EMV common session key from the ATC, padding
  method 2 (``80``), ARPC method 1; the AC covers ``9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36`` and the 6-byte
  CVR (IAD bytes 3-8). IAD ``KDI | CVN 14 | CVR (6) | DAC/IDN (2, zero) | counters (8, zero)``, 18 bytes.

Secure messaging (issuer scripts) per version, as pyemv 1.5 ``pyemv.cvn`` models Visa CVN 10/18 and
Mastercard CVN 20: Visa versions derive the SMI/SMC session keys by the Visa ATC method and carry a new PIN
as a VIS PIN block (:class:`PinCipher`); ``MCHIP_CVN20`` derives them as common session keys from the ARQC
and carries an ISO format 2 block; ``PBOC_CVN01`` derives them as its AC session key (the PBOC process
key from the ATC, :func:`emv.crypto.kd.derive_pboc_sk`) and pads the ISO block the EMV way [U: PBOC 3.0
Part 5 not checked].

The CVR bit layouts follow Visa VIS / PBOC 3.0 (4 bytes, first the length 03) and M/Chip 4 (6 bytes); both
are from public descriptions of those specifications [U: not checked against the specifications].

>>> CvrFacts(first_ac=AcType.ARQC).visa().hex()
'03a00000'
>>> CvrFacts(first_ac=AcType.ARQC).mchip().hex()
'a00000200000'
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from emv.crypto.ac import (
    PBOC_CVN01,
    VISA_CVN10,
    VISA_CVN18,
    ArpcMethod,
    CryptogramVersion,
    MasterKeyDerivation,
    SessionKeyDerivation,
)
from emv.crypto.mac import Padding

__all__ = [
    "CARD_CRYPTOGRAMS",
    "MCHIP_CVN20",
    "AcType",
    "CardCryptogram",
    "CvrFacts",
    "IadFormat",
    "PinCipher",
    "SmKey",
]

log = logging.getLogger(__name__)


class AcType(enum.IntEnum):
    """Cryptogram types as coded in P1 of GENERATE AC and in the CID ``9F27`` (Book 3, 6.5.5, Table 12)."""

    AAC = 0x00
    TC = 0x40
    ARQC = 0x80


class SmKey(enum.Enum):
    """How the secure messaging session keys come from the ICC SMI/SMC master keys (Book 2, 9.2.1, A1.3)."""

    VISA_ATC = "visa"  # K_A xor (00..00 | ATC), K_B xor (00..00 | ~ATC), parity adjusted (Visa VIS)
    PBOC_ATC = "pboc-atc"  # E_MK(00 x 6 | ATC) | E_MK(00 x 6 | ~ATC), the PBOC process key
    COMMON_AC = "common-ac"  # EMV common session key, R = the ARQC, + 1 per further script command


class PinCipher(enum.Enum):
    """How PIN CHANGE carries the new PIN, enciphered under the SMC session key (Book 2, 9.3)."""

    VISA = "visa"  # VIS PIN block, length byte prefixed, ISO/IEC 9797-1 method 2 padding, TDES ECB
    MASTERCARD = "mastercard"  # ISO 9564-1 format 2 block, TDES CBC, padding only if not whole blocks
    EMV = "emv"  # ISO 9564-1 format 2 block, method 2 padding always, TDES CBC


class IadFormat(enum.Enum):
    """Layout of the issuer application data ``9F10``."""

    VISA = "visa"
    PBOC = "pboc"
    MCHIP = "mchip"


MCHIP_CVN20 = CryptogramVersion(
    name="Mastercard-like CVN 20 (posemu)",
    mk_derivation=MasterKeyDerivation.OPTION_A,
    session_key=SessionKeyDerivation.COMMON,
    padding=Padding.METHOD_2,
    arpc_method=ArpcMethod.METHOD_1,
    data_tags=(0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36, 0x9F10),
    iad_range=(2, 8),
)


@dataclass(frozen=True)
class CvrFacts:
    """What the card knows when it builds the CVR of one GENERATE AC response."""

    first_ac: AcType | None = None  # returned (or being returned) by the first GENERATE AC
    second_ac: AcType | None = None  # being returned by the second GENERATE AC; None: not requested
    issuer_auth_failed: bool = False
    issuer_auth_performed: bool = False
    offline_pin_performed: bool = False
    offline_pin_failed: bool = False
    offline_enciphered_pin: bool = False
    unable_to_go_online: bool = False
    last_online_not_completed: bool = False
    pin_try_limit_exceeded: bool = False
    velocity_exceeded: bool = False
    upper_limit_exceeded: bool = False
    new_card: bool = False
    issuer_auth_failed_last: bool = False
    issuer_auth_not_performed_last: bool = False
    script_count: int = 0
    script_failed: bool = False
    dda_performed: bool = False
    cda_first: bool = False
    cda_second: bool = False
    pin_try_counter: int = 0

    def _types(self) -> int:
        second = 0b10 if self.second_ac is None else (1 if self.second_ac is AcType.TC else 0)
        first = 0 if self.first_ac is None else {AcType.AAC: 0, AcType.TC: 1, AcType.ARQC: 2}[self.first_ac]
        return second << 6 | first << 4

    def visa(self) -> bytes:
        """The Visa VIS / PBOC 3.0 CVR: length ``03`` and three bytes."""
        b2 = self._types() | _bits(
            (self.issuer_auth_failed, 0x08),
            (self.offline_pin_performed, 0x04),
            (self.offline_pin_failed, 0x02),
            (self.unable_to_go_online, 0x01),
        )
        b3 = _bits(
            (self.last_online_not_completed, 0x80),
            (self.pin_try_limit_exceeded, 0x40),
            (self.velocity_exceeded, 0x20),
            (self.new_card, 0x10),
            (self.issuer_auth_failed_last, 0x08),
            (self.issuer_auth_not_performed_last, 0x04),
        )
        b4 = (min(self.script_count, 15) << 4) | _bits((self.script_failed, 0x08), (self.dda_performed, 0x02))
        return bytes((0x03, b2, b3, b4))

    def mchip(self) -> bytes:
        """The M/Chip 4 style CVR, 6 bytes."""
        b1 = self._types() | _bits(
            (self.offline_pin_performed, 0x04),
            (self.offline_enciphered_pin, 0x02),
            (self.offline_pin_performed and not self.offline_pin_failed, 0x01),
        )
        b2 = _bits(
            (self.dda_performed, 0x80),
            (self.cda_first, 0x40),
            (self.cda_second, 0x20),
            (self.issuer_auth_performed, 0x10),
        )
        b3 = (self.script_count & 0x0F) << 4 | (self.pin_try_counter & 0x0F)
        b4 = _bits(
            (self.unable_to_go_online, 0x40),
            (not self.offline_pin_performed, 0x20),
            (self.offline_pin_failed, 0x10),
            (self.pin_try_limit_exceeded, 0x08),
        )
        b5 = _bits(
            (self.velocity_exceeded, 0x80),
            (self.upper_limit_exceeded, 0x40),
            (self.issuer_auth_failed or self.issuer_auth_failed_last, 0x04),
            (self.script_failed, 0x01),
        )
        return bytes((b1, b2, b3, b4, b5, 0))


def _bits(*pairs: tuple[bool, int]) -> int:
    out = 0
    for flag, bit in pairs:
        if flag:
            out |= bit
    return out


@dataclass(frozen=True)
class CardCryptogram:
    """A cryptogram version as a card applies it: the version, its CVN byte and the IAD layout."""

    key: str
    version: CryptogramVersion
    cvn: int
    iad_format: IadFormat
    sm_key: SmKey
    pin_cipher: PinCipher

    def build_iad(self, dki: int, facts: CvrFacts) -> bytes:
        """The issuer application data ``9F10`` carrying the CVR of ``facts``.

        >>> CARD_CRYPTOGRAMS["VISA_CVN18"].build_iad(1, CvrFacts(first_ac=AcType.ARQC)).hex()
        '06011203a00000'
        >>> len(CARD_CRYPTOGRAMS["PBOC_CVN01"].build_iad(1, CvrFacts())), len(
        ...     CARD_CRYPTOGRAMS["MCHIP_CVN20"].build_iad(1, CvrFacts()))
        (19, 18)
        """
        if self.iad_format is IadFormat.MCHIP:
            return bytes((dki, self.cvn)) + facts.mchip() + bytes(10)
        head = bytes((dki, self.cvn)) + facts.visa()
        if self.iad_format is IadFormat.PBOC:
            return bytes((7,)) + head + bytes((0x01, 0x0A, 0x01)) + bytes(9)
        return bytes((6,)) + head


CARD_CRYPTOGRAMS: Mapping[str, CardCryptogram] = MappingProxyType(
    {
        c.key: c
        for c in (
            CardCryptogram("VISA_CVN10", VISA_CVN10, 0x0A, IadFormat.VISA, SmKey.VISA_ATC, PinCipher.VISA),
            CardCryptogram("VISA_CVN18", VISA_CVN18, 0x12, IadFormat.VISA, SmKey.VISA_ATC, PinCipher.VISA),
            CardCryptogram("PBOC_CVN01", PBOC_CVN01, 0x01, IadFormat.PBOC, SmKey.PBOC_ATC, PinCipher.EMV),
            CardCryptogram(
                "MCHIP_CVN20", MCHIP_CVN20, 0x14, IadFormat.MCHIP, SmKey.COMMON_AC, PinCipher.MASTERCARD
            ),
        )
    }
)
"""The cryptogram versions a profile may name in ``crypto.cryptogram_version``."""
