"""Cardholder verification over the CVM list (EMV 4.4 Book 3 section 10.5, Annex C3; Book 2 section 7).

The list (8E) is amount X, amount Y, then two-byte rules: CVM code (b6-b1), "apply succeeding rule if this
one fails" (b7), condition code. The first rule whose condition holds is performed; on failure the next
one is tried only when b7 says so. Offline plaintext PIN (VERIFY P2 80, ISO 9564 format 2), offline
enciphered PIN (GET CHALLENGE, then VERIFY P2 88 with the block enciphered under the ICC key, Book 2 7.2),
online PIN (captured by the terminal, enciphered under the PIK), signature and "no CVM required" are
supported. The result is the CVM Results 9F34: rule code, condition, result (00 unknown, 01 failed, 02
successful; 3F0000 when not performed).
"""

from __future__ import annotations

import os

from emv import apdu, tlv
from emv.crypto.errors import RsaError
from emv.crypto.rsa import recover
from emv.kernel.context import (
    TSI_CV_PERFORMED,
    TVR_CV_NOT_SUCCESSFUL,
    TVR_ICC_DATA_MISSING,
    TVR_ONLINE_PIN_ENTERED,
    TVR_PIN_NOT_ENTERED,
    TVR_PIN_PAD_ABSENT,
    TVR_PIN_TRY_LIMIT_EXCEEDED,
    TVR_UNRECOGNISED_CVM,
    Context,
    bcd_value,
    exchange,
)

__all__ = ["verify_cardholder"]

FAIL, PLAIN_PIN, ONLINE_PIN, PLAIN_PIN_SIG, ENC_PIN, ENC_PIN_SIG = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05
SIGNATURE, NO_CVM = 0x1E, 0x1F
_KNOWN = {FAIL, PLAIN_PIN, ONLINE_PIN, PLAIN_PIN_SIG, ENC_PIN, ENC_PIN_SIG, SIGNATURE, NO_CVM}
# 9F33 byte 2 bit for each CVM (Book 4 Annex A2)
_SUPPORT = {
    PLAIN_PIN: 0x80,
    PLAIN_PIN_SIG: 0x80,
    ONLINE_PIN: 0x40,
    SIGNATURE: 0x20,
    ENC_PIN: 0x10,
    ENC_PIN_SIG: 0x10,
    NO_CVM: 0x08,
}
RESULT_UNKNOWN, RESULT_FAILED, RESULT_OK = 0x00, 0x01, 0x02


def _condition_holds(ctx: Context, cond: int, code: int, x: int, y: int) -> bool:
    kind = ctx.txn.transaction_type
    unattended = ctx.params.terminal_type & 0x0F in (4, 5, 6)
    cash, cashback = kind == 0x01, kind == 0x09
    app_currency = bcd_value(ctx.card.get(0x9F42))
    in_app_currency = app_currency is not None and app_currency == (
        ctx.txn.currency_n or ctx.params.transaction_currency
    )
    amount = ctx.txn.amount_minor
    if cond == 0x00:
        return True
    if cond == 0x01:
        return unattended and cash
    if cond == 0x02:
        return not (cash or cashback)
    if cond == 0x03:
        return code in _SUPPORT and ctx.params.supports(2, _SUPPORT[code])
    if cond == 0x04:
        return cash and not unattended
    if cond == 0x05:
        return cashback
    if cond in (0x06, 0x07):
        return in_app_currency and (amount < x if cond == 0x06 else amount > x)
    if cond in (0x08, 0x09):
        return in_app_currency and (amount < y if cond == 0x08 else amount > y)
    return False  # RFU conditions never hold


def _pin_block(digits: bytearray) -> bytearray:
    """ISO 9564 format 2 in a bytearray the caller can zero: 2N PIN F..F (Book 3 6.5.12), nibble by nibble
    from the keypad's ASCII digits, so the PIN never sits in an immutable str."""
    block = bytearray(b"\xff" * 8)
    block[0] = 0x20 | len(digits)
    for k, d in enumerate(digits):
        pos, nibble = 2 + k, d - 0x30
        if pos % 2:
            block[pos // 2] = (block[pos // 2] & 0xF0) | nibble
        else:
            block[pos // 2] = (nibble << 4) | (block[pos // 2] & 0x0F)
    return block


def _tries_left(ctx: Context) -> int | None:
    r = exchange(ctx, apdu.get_data(0x9F17))
    if not r.ok:
        return None
    try:
        value = tlv.parse(r.data).get(0x9F17)
    except tlv.TlvError:
        return None
    return value[0] if value else None


def _encipher(ctx: Context, block: bytes | bytearray) -> bytes | None:
    """7F | PIN block | ICC unpredictable number | random padding, under the ICC PIN encipherment key or the
    ICC public key (Book 2 7.1, 7.2), recovered through the issuer key whatever ODA method ran."""
    key = ctx.pin_key()
    if key is None:
        return None
    r = exchange(ctx, apdu.get_challenge())
    if not r.ok or len(r.data) != 8:
        return None
    modulus, exponent = key
    plain = b"\x7f" + block + r.data + os.urandom(len(modulus) - 17)
    try:
        return recover(plain, modulus, int.from_bytes(exponent, "big"))
    except RsaError:
        return None


def _offline_pin(ctx: Context, enciphered: bool) -> bool:
    if not ctx.params.supports(2, 0x10 if enciphered else 0x80):
        ctx.set_tvr(TVR_PIN_PAD_ABSENT)
        return False
    tries = _tries_left(ctx)
    if tries == 0:
        ctx.set_tvr(TVR_PIN_TRY_LIMIT_EXCEEDED)
        return False
    while True:
        digits = ctx.ui.enter_offline_pin(tries)
        if digits is None:
            ctx.set_tvr(TVR_PIN_NOT_ENTERED)
            return False
        if not 4 <= len(digits) <= 12 or not digits.isdigit():
            digits[:] = bytes(len(digits))
            ctx.set_tvr(TVR_PIN_NOT_ENTERED)
            return False
        block = _pin_block(digits)
        digits[:] = bytes(len(digits))
        try:  # the clear block goes straight into the enciphering or the VERIFY, never into another copy
            data = _encipher(ctx, block) if enciphered else block
            capdu = apdu.verify(data, enciphered) if data is not None else None  # the card needs it whole
        finally:
            block[:] = bytes(len(block))
        if capdu is None:
            return False
        r = exchange(ctx, capdu)
        if r.ok:
            return True
        if r.sw1 == 0x63 and r.sw2 & 0xF0 == 0xC0:
            tries = r.sw2 & 0x0F
            if tries:
                continue
        if r.sw1 == 0x63 or r.sw in (0x6983, 0x6984):
            ctx.set_tvr(TVR_PIN_TRY_LIMIT_EXCEEDED)
        return False


def _perform(ctx: Context, code: int) -> int:
    """Perform one CVM; the CVM result byte (02 ok, 00 unknown, 01 failed)."""
    if code not in _KNOWN:
        ctx.set_tvr(TVR_UNRECOGNISED_CVM)
        return RESULT_FAILED
    if code == FAIL:
        return RESULT_FAILED
    if code in _SUPPORT and not ctx.params.supports(2, _SUPPORT[code]):
        if code in (PLAIN_PIN, PLAIN_PIN_SIG, ENC_PIN, ENC_PIN_SIG, ONLINE_PIN):
            ctx.set_tvr(TVR_PIN_PAD_ABSENT)
        return RESULT_FAILED
    if code == NO_CVM:
        return RESULT_OK
    if code == SIGNATURE:
        ctx.signature_required = True
        return RESULT_UNKNOWN
    if code == ONLINE_PIN:
        if not ctx.ui.enter_online_pin():
            ctx.set_tvr(TVR_PIN_NOT_ENTERED)
            return RESULT_FAILED
        ctx.set_tvr(TVR_ONLINE_PIN_ENTERED)
        ctx.online_pin = True
        return RESULT_UNKNOWN
    if not _offline_pin(ctx, enciphered=code in (ENC_PIN, ENC_PIN_SIG)):
        return RESULT_FAILED
    if code in (PLAIN_PIN_SIG, ENC_PIN_SIG):
        ctx.signature_required = True
        return RESULT_UNKNOWN
    return RESULT_OK


def verify_cardholder(ctx: Context) -> None:
    """Run the CVM list; sets 9F34 (``ctx.cvm_results``), the TVR bits and TSI "CV performed"."""
    if not ctx.aip()[0] & 0x10:  # AIP: cardholder verification is not supported
        return
    cvm_list = ctx.card.get(0x8E)
    if cvm_list is None or len(cvm_list) < 10 or len(cvm_list) % 2:
        ctx.set_tvr(TVR_ICC_DATA_MISSING)
        return
    ctx.set_tsi(TSI_CV_PERFORMED)
    x, y = int.from_bytes(cvm_list[:4], "big"), int.from_bytes(cvm_list[4:8], "big")
    last: bytes | None = None
    for k in range(8, len(cvm_list), 2):
        rule, cond = cvm_list[k], cvm_list[k + 1]
        code = rule & 0x3F
        if not _condition_holds(ctx, cond, code, x, y):
            continue
        result = _perform(ctx, code)
        if result != RESULT_FAILED:
            ctx.cvm_results = bytes((rule, cond, result))
            return
        last = bytes((rule, cond, RESULT_FAILED))
        if not rule & 0x40:
            break
    ctx.set_tvr(TVR_CV_NOT_SUCCESSFUL)
    ctx.cvm_results = last if last is not None else b"\x3f\x00\x01"
