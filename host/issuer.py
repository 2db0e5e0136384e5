"""The issuer's side of an online EMV authorisation: ARQC check, ARPC, decision
(EMV 4.4 Book 2 sections 8.1 and 8.2; Book 3 section 10.9).

:func:`authorise` recomputes the card's ARQC from the field 55 data with the issuer master key (the same
test keys the virtual cards are personalised with), answers a distinct decline when it does not match, and
returns the issuer authentication data (tag 91) the card checks: method 1 gives ARPC (8 bytes) + ARC
(2 bytes), method 2 ARPC (4) + CSU (4). The in-process answer of ``posemu emv run`` and the host
simulator both use it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from emv.crypto import kd
from emv.crypto.ac import (
    ArpcMethod,
    CryptogramVersion,
    MasterKeyDerivation,
    SessionKeyDerivation,
    generate_arpc,
    verify_cryptogram,
)
from emv.crypto.errors import CryptoError

__all__ = ["BAD_CRYPTOGRAM", "CardKeys", "IssuerDecision", "authorise", "check_arqc", "issuer_auth_data"]


@functools.lru_cache(maxsize=4096)
def _icc_master_key(derivation: MasterKeyDerivation, imk: bytes, pan: str, psn: str) -> bytes:
    if derivation is MasterKeyDerivation.OPTION_B:
        return kd.derive_icc_mk_b(imk, pan, psn)
    return kd.derive_icc_mk_a(imk, pan, psn)


@functools.lru_cache(maxsize=4)  # the ARQC check and the ARPC of one request share the key
def _ac_key(version: CryptogramVersion, imk: bytes, pan: str, psn: str, atc: bytes) -> bytes:
    """:func:`emv.crypto.ac.derive_ac_key`, with the card's master key (which never changes) cached."""
    mk = _icc_master_key(version.mk_derivation, imk, pan, psn)
    if version.session_key is SessionKeyDerivation.NONE:
        return mk
    if version.session_key is SessionKeyDerivation.PBOC:
        return kd.derive_pboc_sk(mk, atc)
    return kd.derive_common_sk(mk, kd.build_diversifier(atc))


BAD_CRYPTOGRAM = "A7"  # acquirer-specific decline: the ARQC did not verify (CUP A1-A6 are in use)
CSU_APPROVED = bytes.fromhex("00800000")  # card status update: issuer approves (b8 of byte 2)
CSU_DECLINED = bytes(4)


@dataclass(frozen=True)
class CardKeys:
    """What the issuer holds for one card: PAN, PAN sequence number, IMK-AC and the cryptogram version."""

    pan: str = field(repr=False)
    psn: str
    imk_ac: bytes = field(repr=False)
    version: CryptogramVersion


@dataclass(frozen=True)
class IssuerDecision:
    """The issuer's answer: response code (field 39), tag 91 for field 55, scripts, and why."""

    response_code: str
    issuer_auth_data: bytes | None
    scripts: bytes = b""
    reason: str = ""


def check_arqc(keys: CardKeys, f55: Mapping[int, bytes]) -> bool:
    """Recompute the cryptogram 9F26 over the data its version covers; False on mismatch or bad data."""
    arqc, atc = f55.get(0x9F26), f55.get(0x9F36)
    if arqc is None or atc is None:
        return False
    try:
        key = _ac_key(keys.version, keys.imk_ac, keys.pan, keys.psn, bytes(atc))
        return verify_cryptogram(keys.version, key, f55, arqc)
    except CryptoError:
        return False


def issuer_auth_data(keys: CardKeys, f55: Mapping[int, bytes], response_code: str) -> bytes:
    """Tag 91 for the card: ARPC + ARC (method 1) or ARPC + CSU (method 2) (Book 2 8.2).

    Raises:
        CryptoError: the ARQC or ATC is missing or malformed.
    """
    arqc, atc = f55.get(0x9F26, b""), f55.get(0x9F36, b"")
    key = _ac_key(keys.version, keys.imk_ac, keys.pan, keys.psn, bytes(atc))
    if keys.version.arpc_method is ArpcMethod.METHOD_2:
        csu = CSU_APPROVED if response_code in ("00", "11") else CSU_DECLINED
        return generate_arpc(keys.version, key, arqc, csu) + csu
    arc = response_code.encode("ascii")
    return generate_arpc(keys.version, key, arqc, arc) + arc


def authorise(keys: CardKeys, f55: Mapping[int, bytes], response_code: str = "00") -> IssuerDecision:
    """Check the ARQC; on success answer ``response_code`` (the account decision made by the caller)
    with the ARPC, else decline with :data:`BAD_CRYPTOGRAM` and no ARPC."""
    if not check_arqc(keys, f55):
        return IssuerDecision(BAD_CRYPTOGRAM, None, reason="ARQC does not verify")
    return IssuerDecision(response_code, issuer_auth_data(keys, f55, response_code), reason="ARQC verified")
