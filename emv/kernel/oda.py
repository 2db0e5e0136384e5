"""Offline data authentication: SDA, DDA and CDA (EMV 4.4 Book 2 sections 5 and 6; Book 3 10.3).

The terminal recovers the issuer public key from its certificate (90, 92, 9F32) with the CA public key
(RID + 8F), then either verifies the signed static application data (93, SDA), or recovers the ICC public
key (9F46, 9F48, 9F47) and verifies a signed dynamic application data (9F4B): from INTERNAL AUTHENTICATE
(DDA) or in the GENERATE AC response (CDA, Book 2 6.6). Every check of Book 2 is made: length against the
modulus, header 6A, trailer BC, format, hash algorithm 01, public key algorithm 01, SHA-1 hash, issuer
identifier against the PAN, certificate expiry, revocation list, PAN match, CID and cryptogram match. A
failure raises :class:`OdaError` with the failed check; the caller sets the TVR bit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from emv import apdu, tlv
from emv.crypto.errors import RsaError
from emv.crypto.rsa import recover
from emv.dol import build_dol, parse_dol
from emv.errors import EmvError
from emv.kernel.capk import CapkStore
from emv.kernel.context import Context, exchange
from emv.kernel.params import Revocation

__all__ = [
    "OdaError",
    "PublicKey",
    "dda",
    "recover_icc_key",
    "recover_issuer_key",
    "recover_pin_key",
    "sda",
    "verify_cda",
]


class OdaError(EmvError):
    """An offline data authentication check failed; ``missing`` when the reason is absent card data."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        self.reason = reason
        self.missing = missing
        super().__init__(reason)


@dataclass(frozen=True)
class PublicKey:
    modulus: bytes
    exponent: bytes

    def open(self, data: bytes, what: str) -> bytes:
        """Recover a certificate or signature; checks its length, header 6A and trailer BC (Book 2 A2.1)."""
        try:
            out = recover(data, self.modulus, int.from_bytes(self.exponent, "big"))
        except RsaError:
            raise OdaError(f"{what}: length or value does not fit the key") from None
        if out[0] != 0x6A:
            raise OdaError(f"{what}: recovered data header is not 6A")
        if out[-1] != 0xBC:
            raise OdaError(f"{what}: recovered data trailer is not BC")
        return out


def _need(ctx: Context, tag: int) -> bytes:
    value = ctx.card.get(tag)
    if value is None:
        raise OdaError(f"data object {tag:02X} missing", missing=True)
    return value


def _digits(raw: bytes) -> str:
    return raw.hex().upper().rstrip("F")


def _check_expiry(mmyy: bytes, today: dt.date, what: str) -> None:
    """A certificate is valid through the last day of its MMYY month (Book 2 5.3 step 9)."""
    text = mmyy.hex()
    try:
        month, year = int(text[:2]), 2000 + int(text[2:])
    except ValueError:
        raise OdaError(f"{what}: expiry date is not BCD") from None
    if not 1 <= month <= 12:
        raise OdaError(f"{what}: expiry month out of range")
    if (year, month) < (today.year, today.month):
        raise OdaError(f"{what}: certificate expired")


def _check_hash(recovered: bytes, extra: bytes, what: str) -> None:
    body = recovered[1:-21] + extra
    if hashlib.sha1(body).digest() != recovered[-21:-1]:
        raise OdaError(f"{what}: hash does not match")


def recover_issuer_key(ctx: Context, capks: CapkStore, revoked: frozenset[Revocation]) -> PublicKey:
    """The issuer public key from its certificate (Book 2 5.3 / 6.3, steps 1-11).

    Raises:
        OdaError: a check failed, the CA key is unknown, or certificate data is missing.
    """
    aid = ctx.card.get(0x4F) or ctx.card.get(0x84) or b""
    index = _need(ctx, 0x8F)
    if len(index) != 1:
        raise OdaError("CA public key index 8F is not 1 byte")
    capk = capks.get(aid[:5], index[0])
    if capk is None:
        raise OdaError(f"no CA public key for index {index[0]:02X}")
    cert = _need(ctx, 0x90)
    x = PublicKey(capk.modulus, capk.exponent).open(cert, "issuer certificate")
    n_ca = len(capk.modulus)
    if x[1] != 0x02:
        raise OdaError("issuer certificate: format is not 02")
    iin, expiry, serial = x[2:6], x[6:8], x[8:11]
    if x[11] != 0x01 or x[12] != 0x01:
        raise OdaError("issuer certificate: unsupported hash or public key algorithm")
    key_len, exp_len = x[13], x[14]
    exponent = _need(ctx, 0x9F32)
    if len(exponent) != exp_len:
        raise OdaError("issuer certificate: exponent length differs from 9F32")
    leftmost = x[15 : n_ca - 21]
    if key_len <= n_ca - 36:
        modulus = leftmost[:key_len]
    else:
        modulus = leftmost + _need(ctx, 0x92)
        if len(modulus) != key_len:
            raise OdaError("issuer public key remainder has the wrong length")
    _check_hash(x, (ctx.card.get(0x92, b"") if key_len > n_ca - 36 else b"") + exponent, "issuer certificate")
    pan = _digits(_need(ctx, 0x5A))
    iin_digits = _digits(iin)
    if not 3 <= len(iin_digits) <= 8 or not pan.startswith(iin_digits):
        raise OdaError("issuer identifier does not match the PAN")
    _check_expiry(expiry, ctx.txn.when.date(), "issuer certificate")
    if Revocation(capk.rid, capk.index, serial) in revoked:
        raise OdaError("issuer certificate is revoked")
    return PublicKey(modulus, exponent)


def sda(ctx: Context, issuer: PublicKey) -> None:
    """Verify the signed static application data 93 (Book 2 5.4); stores the DAC in 9F45.

    Raises:
        OdaError: a check failed or 93 is missing.
    """
    x = issuer.open(_need(ctx, 0x93), "signed static data")
    if x[1] != 0x03 or x[2] != 0x01:
        raise OdaError("signed static data: format or hash algorithm")
    if not ctx.static_data_ok:
        raise OdaError("static data to authenticate is not well formed")
    _check_hash(x, bytes(ctx.static_data), "signed static data")
    ctx.card[0x9F45] = x[3:5]


def _recover_card_key(
    ctx: Context, issuer: PublicKey, tags: tuple[int, int, int], what: str, signed: bytes
) -> PublicKey:
    """A card key from its issuer-signed certificate (format 04: Book 2 6.4 for the ICC key, 7.1 for the
    PIN encipherment key); ``tags`` = (certificate, exponent, remainder), ``signed`` the extra hashed data."""
    cert_tag, exp_tag, rem_tag = tags
    x = issuer.open(_need(ctx, cert_tag), what)
    n_i = len(issuer.modulus)
    if x[1] != 0x04:
        raise OdaError(f"{what}: format is not 04")
    if x[17] != 0x01 or x[18] != 0x01:
        raise OdaError(f"{what}: unsupported hash or public key algorithm")
    key_len, exp_len = x[19], x[20]
    exponent = _need(ctx, exp_tag)
    if len(exponent) != exp_len:
        raise OdaError(f"{what}: exponent length differs from {exp_tag:02X}")
    leftmost = x[21 : n_i - 21]
    remainder = ctx.card.get(rem_tag, b"") if key_len > n_i - 42 else b""
    modulus = leftmost[:key_len] if key_len <= n_i - 42 else leftmost + remainder
    if len(modulus) != key_len:
        raise OdaError(f"{what}: key remainder has the wrong length")
    _check_hash(x, remainder + exponent + signed, what)
    if _digits(x[2:12]) != _digits(_need(ctx, 0x5A)):
        raise OdaError(f"{what}: PAN does not match the card's PAN")
    _check_expiry(x[12:14], ctx.txn.when.date(), what)
    return PublicKey(modulus, exponent)


def recover_icc_key(ctx: Context, issuer: PublicKey) -> PublicKey:
    """The ICC public key from 9F46 (Book 2 6.4), whose hash covers the static data to authenticate.

    Raises:
        OdaError: a check failed or certificate data is missing.
    """
    if not ctx.static_data_ok:
        raise OdaError("static data to authenticate is not well formed")
    return _recover_card_key(ctx, issuer, (0x9F46, 0x9F47, 0x9F48), "ICC certificate", bytes(ctx.static_data))


def recover_pin_key(ctx: Context, issuer: PublicKey) -> PublicKey:
    """The key that enciphers an offline PIN (Book 2 7.1): the ICC PIN encipherment public key (9F2D,
    9F2E, 9F2F) when the card has one, else the ICC public key.

    Raises:
        OdaError: a check failed or certificate data is missing.
    """
    if 0x9F2D in ctx.card:
        return _recover_card_key(
            ctx, issuer, (0x9F2D, 0x9F2E, 0x9F2F), "ICC PIN encipherment certificate", b""
        )
    return recover_icc_key(ctx, issuer)


def _open_sdad(icc: PublicKey, sdad: bytes) -> tuple[bytes, bytes]:
    """Recover a signed dynamic application data: (whole recovered data, ICC dynamic data)."""
    x = icc.open(sdad, "signed dynamic data")
    if x[1] != 0x05 or x[2] != 0x01:
        raise OdaError("signed dynamic data: format or hash algorithm")
    ldd = x[3]
    if 4 + ldd > len(x) - 21:
        raise OdaError("signed dynamic data: dynamic data length overruns")
    return x, x[4 : 4 + ldd]


def dda(ctx: Context, icc: PublicKey) -> None:
    """INTERNAL AUTHENTICATE with the DDOL data and verify the SDAD (Book 2 6.5).

    Raises:
        OdaError: no DDOL at all, the command failed, or a check failed.
    """
    ddol_raw = ctx.card.get(0x9F49) or ctx.params.default_ddol
    try:
        ddol = parse_dol(ddol_raw)
    except tlv.TlvError:
        raise OdaError("malformed DDOL") from None
    if not any(tag == 0x9F37 for tag, _ in ddol):
        raise OdaError("DDOL lacks the unpredictable number", missing=True)
    data = build_dol(ddol, ctx.snapshot())
    r = exchange(ctx, apdu.internal_authenticate(data))
    if not r.ok:
        raise OdaError(f"INTERNAL AUTHENTICATE answered {r.sw:04X}")
    try:
        resp = tlv.decode(r.data)
    except tlv.TlvError:
        raise OdaError("malformed INTERNAL AUTHENTICATE response") from None
    top = resp.top()
    if len(top) != 1 or top[0].tag not in (0x80, 0x77):
        raise OdaError("INTERNAL AUTHENTICATE response is not template 80 or 77")
    sdad = top[0].value if top[0].tag == 0x80 else top[0].find(0x9F4B)
    if not sdad:
        raise OdaError("signed dynamic data missing", missing=True)
    x, dyn = _open_sdad(icc, sdad)
    _check_hash(x, data, "signed dynamic data")
    if dyn and 1 + dyn[0] <= len(dyn):
        ctx.card[0x9F4C] = dyn[1 : 1 + dyn[0]]


def _objects_as_received(template: tlv.TlvNode, skip: int) -> bytes:
    """The template's data objects other than ``skip``, byte for byte as the card sent them (headers
    included, ``00`` padding between them left out): what the CDA transaction data hash covers."""
    index, data = template.tlv, template.tlv.data
    out = bytearray()
    previous_end = index[template.slot + 1]
    for j in index.child_slots(template.slot):
        start = previous_end
        while data[start] == 0:  # padding: a tag never starts with 00
            start += 1
        end = index[j + 2]
        if index[j] != skip:
            out += data[start:end]
        previous_end = end
    return bytes(out)


def verify_cda(ctx: Context, icc: PublicKey, response: tlv.TlvNode, cdol_data: bytes) -> bytes:
    """Verify the SDAD of a GENERATE AC response with CDA and return the application cryptogram from it
    (Book 2 6.6.2): the transaction data hash covers the PDOL data, the CDOL data, and the response's
    data objects other than 9F4B, in order.

    Raises:
        OdaError: a check failed.
    """
    sdad = response.find(0x9F4B)
    cid = response.find(0x9F27)
    if not sdad or not cid:
        raise OdaError("CDA response lacks 9F4B or 9F27", missing=True)
    x, dyn = _open_sdad(icc, sdad)
    un = ctx.terminal.get(0x9F37, b"")
    _check_hash(x, un, "signed dynamic data")
    n = dyn[0] if dyn else 0
    if len(dyn) < 1 + n + 1 + 8 + 20:
        raise OdaError("CDA dynamic data too short")
    if dyn[1 + n] != cid[0]:
        raise OdaError("CDA cryptogram information data differs from 9F27")
    ac = dyn[2 + n : 10 + n]
    tdhc = dyn[10 + n : 30 + n]
    rest = _objects_as_received(response, skip=0x9F4B)
    if hashlib.sha1(ctx.pdol_data + cdol_data + rest).digest() != tdhc:
        raise OdaError("CDA transaction data hash code does not match")
    ctx.card[0x9F4C] = dyn[1 : 1 + n]
    return ac
