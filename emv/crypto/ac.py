"""Application cryptograms and issuer authentication (EMV 4.4 Book 2, 8.1, 8.2 and Annex A1.2).

The ICC computes the ARQC, TC or AAC as the ISO/IEC 9797-1 algorithm 3 MAC of the CDOL data under its AC key;
the issuer answers with an ARPC by method 1 (8 bytes, TDEA of ARQC xor ARC) or method 2 (4-byte MAC over
ARQC || CSU || proprietary authentication data). Which master key derivation, session key, padding, ARPC
method and data elements a card uses is its cryptogram version: :class:`CryptogramVersion` holds that as data,
with :data:`VISA_CVN10`, :data:`VISA_CVN18` and :data:`PBOC_CVN01` defined here. The virtual cards generate
with these functions; the virtual issuer verifies with them.
"""

from __future__ import annotations

import enum
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from emv.crypto import des, kd
from emv.crypto._validate import check_key, check_length, xor
from emv.crypto.errors import DataError
from emv.crypto.mac import Padding, generate_retail_mac

log = logging.getLogger(__name__)


class MasterKeyDerivation(enum.Enum):
    """How the ICC master key comes from the issuer master key (Book 2, A1.4)."""

    OPTION_A = "A"
    OPTION_B = "B"


class SessionKeyDerivation(enum.Enum):
    """Which key computes the cryptogram: the ICC master key itself or the common session key (A1.3)."""

    NONE = "none"  # the ICC master key is the AC key
    COMMON = "common"  # EMV CSK with R = ATC || 00 00 00 00 00 00
    PBOC = "pboc"  # E_MK(00 x6 || ATC) || E_MK(00 x6 || ~ATC), see kd.derive_pboc_sk


class ArpcMethod(enum.IntEnum):
    """ARPC generation method (Book 2, 8.2.1 and 8.2.2)."""

    METHOD_1 = 1
    METHOD_2 = 2


@dataclass(frozen=True)
class CryptogramVersion:
    """A cryptogram version as data: key derivation, padding, ARPC method and the data the AC covers.

    ``data_tags`` lists, in order, the data elements concatenated into the AC input. Tag 9F10 (issuer
    application data) is taken whole unless ``iad_range`` gives the (start, stop) byte slice of 9F10 that
    is covered, e.g. (3, 7) for the 4-byte CVR of a Visa/PBOC format IAD (length, DKI, CVN, CVR...).

    - :data:`VISA_CVN10`: option-A MK used directly (no session key), padding method 1 (00), ARPC method 1;
      data 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36 and the CVR (9F10 bytes 4-7).
    - :data:`VISA_CVN18`: option-B MK, common session key, padding method 2 (80), ARPC method 2;
      data 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36 9F10 (the whole IAD).
    - :data:`PBOC_CVN01`: UnionPay PBOC 2.0/3.0 (CVN 01): option-A MK, PBOC session key from the ATC
      (:func:`emv.crypto.kd.derive_pboc_sk`, *not* the EMV CSK), padding method 2 (80), ARPC method 1 with
      the ARC as the 2 ASCII characters of the response code; data 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36
      and the 4-byte CVR with its length byte (9F10 bytes 4-7). This matches two public worked PBOC
      examples end to end (see the tests); the PBOC 3.0 (JR/T 0025) text itself was not available.
    """

    name: str
    mk_derivation: MasterKeyDerivation
    session_key: SessionKeyDerivation
    padding: Padding
    arpc_method: ArpcMethod
    data_tags: tuple[int, ...]
    iad_range: tuple[int, int] | None = None


_CDOL_TAGS = (0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36, 0x9F10)

VISA_CVN10 = CryptogramVersion(
    name="Visa CVN 10",
    mk_derivation=MasterKeyDerivation.OPTION_A,
    session_key=SessionKeyDerivation.NONE,
    padding=Padding.METHOD_1,
    arpc_method=ArpcMethod.METHOD_1,
    data_tags=_CDOL_TAGS,
    iad_range=(3, 7),
)
VISA_CVN18 = CryptogramVersion(
    name="Visa CVN 18",
    mk_derivation=MasterKeyDerivation.OPTION_B,
    session_key=SessionKeyDerivation.COMMON,
    padding=Padding.METHOD_2,
    arpc_method=ArpcMethod.METHOD_2,
    data_tags=_CDOL_TAGS,
)
PBOC_CVN01 = CryptogramVersion(
    name="PBOC 3.0 CVN 01",
    mk_derivation=MasterKeyDerivation.OPTION_A,
    session_key=SessionKeyDerivation.PBOC,
    padding=Padding.METHOD_2,
    arpc_method=ArpcMethod.METHOD_1,
    data_tags=_CDOL_TAGS,
    iad_range=(3, 7),
)


def generate_ac(sk: bytes, data: bytes, padding: Padding = Padding.METHOD_2, length: int = 8) -> bytes:
    """ARQC, TC or AAC: ISO/IEC 9797-1 MAC algorithm 3 of ``data`` under the AC key (Book 2, 8.1.2, A1.2.1).

    >>> sk = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    >>> data = bytes.fromhex("000000002000 000000000000 0124 0000008000 0124 110309 00 3804823E 5800 0001")
    >>> generate_ac(sk, data).hex().upper()
    '3B76CF10FECD8789'

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a bad padding method or ``length`` outside 4..8.
    """
    check_key(sk, (16,), "AC key")
    return generate_retail_mac(sk, data, padding, length)


def verify_ac(sk: bytes, data: bytes, ac: bytes, padding: Padding = Padding.METHOD_2) -> bool:
    """Tell whether ``ac`` is the cryptogram of ``data`` under ``sk``, in constant time (Book 2, 8.1.2).

    >>> sk = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    >>> verify_ac(sk, bytes(8), generate_ac(sk, bytes(8))), verify_ac(sk, bytes(8), bytes(8))
    (True, False)

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a bad padding method or an AC outside 4..8 bytes.
    """
    return hmac.compare_digest(generate_ac(sk, data, padding, len(ac)), ac)


def generate_arpc_1(sk: bytes, arqc: bytes, arc: bytes) -> bytes:
    """ARPC method 1 (Book 2, 8.2.1): the 8-byte E_SK(ARQC xor (ARC || 00 00 00 00 00 00)) by 2-key TDEA.

    The issuer authentication data (tag 91) is then ARPC || ARC. UnionPay cards take the ARC as the two
    ASCII characters of the response code (field 39 "00" is 30 30).

    >>> sk = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    >>> generate_arpc_1(sk, bytes.fromhex("1234567890ABCDEF"), bytes.fromhex("0000")).hex().upper()
    'F5E6F44147E2F1B0'

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: the ARQC is not 8 bytes or the ARC not 2.
    """
    check_key(sk, (16,), "ARPC key")
    check_length(arqc, (8,), "ARQC")
    check_length(arc, (2,), "ARC")
    return des.encrypt_ecb(sk, xor(arqc, arc + bytes(6)))


def generate_arpc_2(sk: bytes, arqc: bytes, csu: bytes, prop_auth_data: bytes = b"") -> bytes:
    """ARPC method 2 (Book 2, 8.2.2): the 4-byte MAC algorithm 3, padding method 2, of ARQC || CSU || PAD.

    The issuer authentication data (tag 91) is then ARPC || CSU || proprietary authentication data.

    >>> sk = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    >>> generate_arpc_2(sk, bytes.fromhex("1234567890ABCDEF"), bytes(4)).hex().upper()
    '9308BEBC'

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: the ARQC is not 8 bytes, the CSU not 4, or the proprietary data longer than 8.
    """
    check_key(sk, (16,), "ARPC key")
    check_length(arqc, (8,), "ARQC")
    check_length(csu, (4,), "CSU")
    if len(prop_auth_data) > 8:
        raise DataError("proprietary authentication data", f"length {len(prop_auth_data)} bytes, more than 8")
    return generate_retail_mac(sk, arqc + csu + prop_auth_data, Padding.METHOD_2, 4)


def verify_arpc_1(sk: bytes, arqc: bytes, arc: bytes, arpc: bytes) -> bool:
    """Tell whether ``arpc`` is the method-1 ARPC for ``arqc`` and ``arc``, in constant time (Book 2, 8.2.1).

    >>> sk = bytes(16)
    >>> verify_arpc_1(sk, bytes(8), bytes(2), generate_arpc_1(sk, bytes(8), bytes(2)))
    True

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: the ARQC is not 8 bytes or the ARC not 2.
    """
    return hmac.compare_digest(generate_arpc_1(sk, arqc, arc), arpc)


def verify_arpc_2(sk: bytes, arqc: bytes, csu: bytes, arpc: bytes, prop_auth_data: bytes = b"") -> bool:
    """Tell whether ``arpc`` is the method-2 ARPC of ``arqc``, ``csu`` and the data, in constant time (8.2.2).

    >>> sk = bytes(16)
    >>> verify_arpc_2(sk, bytes(8), bytes(4), generate_arpc_2(sk, bytes(8), bytes(4)))
    True

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: the ARQC is not 8 bytes, the CSU not 4, or the proprietary data longer than 8.
    """
    return hmac.compare_digest(generate_arpc_2(sk, arqc, csu, prop_auth_data), arpc)


def derive_ac_key(version: CryptogramVersion, imk: bytes, pan: str, psn: str, atc: bytes) -> bytes:
    """The key that computes this card's cryptograms and ARPCs for one ATC (Book 2, A1.3 and A1.4).

    >>> imk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> derive_ac_key(VISA_CVN10, imk, "9901234567890123", "45", b"\\x00\\x01") == kd.derive_icc_mk_a(
    ...     imk, "9901234567890123", "45")
    True

    Raises:
        KeyLengthError: the IMK is not 16 bytes.
        PanError: the PAN is not 8 to 19 decimal digits.
        DataError: the PSN is not 2 decimal digits or the ATC is not 2 bytes.
    """
    check_length(atc, (2,), "ATC")
    if version.mk_derivation is MasterKeyDerivation.OPTION_B:
        mk = kd.derive_icc_mk_b(imk, pan, psn)
    else:
        mk = kd.derive_icc_mk_a(imk, pan, psn)
    if version.session_key is SessionKeyDerivation.NONE:
        return mk
    if version.session_key is SessionKeyDerivation.PBOC:
        return kd.derive_pboc_sk(mk, atc)
    return kd.derive_common_sk(mk, kd.build_diversifier(atc))


def build_ac_data(version: CryptogramVersion, elements: Mapping[int, bytes]) -> bytes:
    """Concatenate the data elements ``version`` covers, by int tag, in its order (Book 2, 8.1.1).

    >>> v = CryptogramVersion("demo", MasterKeyDerivation.OPTION_A, SessionKeyDerivation.NONE,
    ...                       Padding.METHOD_1, ArpcMethod.METHOD_1, (0x9F36, 0x9F10), (3, 7))
    >>> build_ac_data(v, {0x9F36: bytes.fromhex("0001"), 0x9F10: bytes.fromhex("06010A03A00000")}).hex()
    '000103a00000'

    Raises:
        DataError: a covered data element is missing, or 9F10 is shorter than ``iad_range`` needs.
    """
    parts = []
    for tag in version.data_tags:
        if tag not in elements:
            raise DataError("cryptogram data", f"lacks tag {tag:02X}")
        value = bytes(elements[tag])
        if tag == 0x9F10 and version.iad_range is not None:
            start, stop = version.iad_range
            if len(value) < stop:
                raise DataError("issuer application data", f"length {len(value)} bytes, needs {stop}")
            value = value[start:stop]
        parts.append(value)
    return b"".join(parts)


def generate_cryptogram(version: CryptogramVersion, ac_key: bytes, elements: Mapping[int, bytes]) -> bytes:
    """The 8-byte ARQC, TC or AAC of a card of ``version`` over ``elements`` (Book 2, 8.1).

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a covered data element is missing or too short.
    """
    return generate_ac(ac_key, build_ac_data(version, elements), version.padding)


def verify_cryptogram(
    version: CryptogramVersion, ac_key: bytes, elements: Mapping[int, bytes], ac: bytes
) -> bool:
    """Tell whether ``ac`` is the cryptogram of a card of ``version`` over ``elements`` (Book 2, 8.1).

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a covered data element is missing or too short, or the AC is outside 4..8 bytes.
    """
    return verify_ac(ac_key, build_ac_data(version, elements), ac, version.padding)


def generate_arpc(
    version: CryptogramVersion, ac_key: bytes, arqc: bytes, response: bytes, prop_auth_data: bytes = b""
) -> bytes:
    """The ARPC of ``version``'s method; ``response`` is the 2-byte ARC (method 1) or 4-byte CSU (method 2).

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a field has the wrong length, or proprietary data was given for method 1.
    """
    if version.arpc_method is ArpcMethod.METHOD_2:
        return generate_arpc_2(ac_key, arqc, response, prop_auth_data)
    if prop_auth_data:
        raise DataError("proprietary authentication data", "is only defined for ARPC method 2")
    return generate_arpc_1(ac_key, arqc, response)
