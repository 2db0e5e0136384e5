"""The terminal's requests of the CUP POS profile, built from the transaction table (DOMAIN_FACTS section A:
MTI, processing code 3, condition code 25 and type code 60.1 per transaction; sign-on, settlement,
batch upload and reversal layouts), and the terminal's side of the sign-on key download.

Builders return an unMAC'd :class:`host.protocol.Message`; the host link MACs it with the session MAK.
The QR messages (scanned code in field 59; order create ``900000``, query ``910000``, close ``920000``)
are this project's carriage, see :mod:`host.wallet` [U].

>>> t = TerminalId("10000019", "850100082410002")
>>> m = purchase(t, 7, 1, 2500, CardData(pan="6224242900000113"))
>>> m.mti, m[3], m[25], m[60]
('0200', '000000', '00', '22000001000600')
>>> reversal(m, "98")[39], reversal(m, "98")[11]
('98', '000007')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from emv.crypto import des
from emv.crypto.pinblock import PinBlockFormat, encode_pin_block
from host.fields import Field60, OriginalTransaction, format_amount
from host.keyblock import KeyBlock, unwrap_key
from host.protocol import FieldValue, Header, Message, Tpdu
from host.settlement import SettlementTotals, format_batch_count
from host.transactions import TRANSACTIONS

__all__ = [
    "CardData",
    "SessionKeys",
    "TerminalId",
    "admin_pay_order",
    "balance",
    "batch_upload",
    "batch_upload_end",
    "completion",
    "completion_void",
    "echo_test",
    "encipher_pin",
    "keys_from_sign_on",
    "pre_auth",
    "pre_auth_void",
    "purchase",
    "qr_order_close",
    "qr_order_create",
    "qr_order_query",
    "qr_purchase",
    "refund",
    "reversal",
    "settlement",
    "sign_off",
    "sign_on",
    "void",
]


_TPDU = Tpdu(destination=0x0006)
_HEADER = Header(sub_version="311003")


@dataclass(frozen=True)
class TerminalId:
    """Who the terminal is on the network: TID (field 41), MID (42), TPDU and header."""

    tid: str
    mid: str
    tpdu: Tpdu = _TPDU
    header: Header = _HEADER


@dataclass(frozen=True)
class SessionKeys:
    """Working keys from a sign-on reply, in clear (the terminal's key store holds them), and the batch."""

    pik: bytes = field(repr=False)
    mak: bytes = field(repr=False)
    batch: int


def _message(t: TerminalId, mti: str, fields: dict[int, FieldValue | None]) -> Message:
    fields[41], fields[42] = t.tid, t.mid
    return Message(mti, {k: v for k, v in fields.items() if v is not None}, t.tpdu, t.header)


def _f60(name: str, batch: int, reader: int | None = 6) -> str:
    """60.1-60.6; with a card reader, 60.5 IC condition 0 and 60.6 = 0: partial approval not supported (the
    real purchase sample ends ``...0600``, DOMAIN_FACTS A)."""
    row = TRANSACTIONS[name]
    card = reader is not None
    return Field60(
        row.type_code, batch, row.network_code, reader, 0 if card else None, 0 if card else None
    ).to_field()


def encipher_pin(pik: bytes, pin: str, pan: str) -> bytes:
    """Field 52: the ISO 9564 format 0 PIN block enciphered under the PIK (DES or TDES, ECB).

    Raises:
        PinError, PanError: a PIN or PAN the format does not take. KeyLengthError: a bad PIK.
    """
    return des.encrypt_ecb(pik, encode_pin_block(pin, PinBlockFormat.ISO_0, pan))


# ---------------------------------------------------------------------------------------------------------
# Network management
# ---------------------------------------------------------------------------------------------------------


def sign_on(
    t: TerminalId, trace: int, batch: int = 0, network_code: str = "003", operator: str = "01 "
) -> Message:
    """0800 sign-on: 60.3 ``001`` single-length keys, ``003`` double-length, ``004`` with a track key."""
    f60 = Field60("00", batch, network_code).to_field()
    return _message(t, "0800", {11: f"{trace:06d}", 60: f60, 63: operator.encode("ascii")})


def keys_from_sign_on(reply: Message, tmk: bytes) -> SessionKeys:
    """Unwrap the PIK and MAK of an 0810 under the TMK and check them against their check values.

    Raises:
        KeyCheckError: a key does not match its check value. Iso8583Error: no or a malformed field 62/60.
    """
    block = reply.get(62)
    f60 = reply.get(60)
    if not isinstance(block, bytes) or not isinstance(f60, str):
        from host.errors import Iso8583Error

        raise Iso8583Error("sign-on reply without fields 60 and 62", field=62)
    keys = KeyBlock.from_field(block)
    return SessionKeys(unwrap_key(tmk, keys.pik), unwrap_key(tmk, keys.mak), Field60.from_field(f60).batch)


def sign_off(t: TerminalId, trace: int, batch: int) -> Message:
    return _message(t, "0820", {11: f"{trace:06d}", 60: Field60("00", batch, "002").to_field()})


def echo_test(t: TerminalId, trace: int, batch: int) -> Message:
    return _message(t, "0820", {11: f"{trace:06d}", 60: Field60("00", batch, "301").to_field()})


def admin_pay_order(ref: str) -> Message:
    """The posemu admin message: a wallet pays order ``ref`` (0820, 60.3 ``901``; loopback only) [U]."""
    return Message("0820", {37: ref, 60: Field60("00", 0, "901").to_field()})


# ---------------------------------------------------------------------------------------------------------
# Card transactions
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardData:
    """What a card transaction carries of the card: PAN (2), track 2 (35, ``D`` separator), expiry YYMM
    (14), PSN (23), ICC data (55), the enciphered PIN block (52, which sets 26 and 53), entry mode (22)."""

    pan: str | None = field(default=None, repr=False)
    track2: str | None = field(default=None, repr=False)
    expiry: str | None = None
    psn: str | None = None
    icc: bytes | None = None
    pin_block: bytes | None = field(default=None, repr=False)
    entry_mode: str = "051"

    def fields(self) -> dict[int, FieldValue | None]:
        pin = self.pin_block
        return {
            2: self.pan,
            14: self.expiry,
            22: self.entry_mode,
            23: f"{int(self.psn):03d}" if self.psn is not None else None,
            26: "12" if pin is not None else None,
            35: self.track2,
            52: pin,
            53: "2600000000000000" if pin is not None else None,
            55: self.icc,
        }


_NO_CARD = CardData()


def _card_txn(
    name: str,
    t: TerminalId,
    trace: int,
    batch: int,
    amount_fen: int | None,
    card: CardData,
    extra: Mapping[int, FieldValue | None] | None = None,
) -> Message:
    row = TRANSACTIONS[name]
    fields: dict[int, FieldValue | None] = {
        3: row.processing_code,
        4: format_amount(amount_fen) if amount_fen is not None else None,
        11: f"{trace:06d}",
        25: row.condition_code,
        49: "156",
        60: _f60(name, batch),
        **card.fields(),
    }
    fields.update(extra or {})
    return _message(t, row.request_mti, fields)


def purchase(t: TerminalId, trace: int, batch: int, amount_fen: int, card: CardData = _NO_CARD) -> Message:
    """0200 purchase (``000000``, 25 ``00``, 60.1 ``22``)."""
    return _card_txn("purchase", t, trace, batch, amount_fen, card)


def balance(t: TerminalId, trace: int, batch: int, card: CardData = _NO_CARD) -> Message:
    """0200 balance inquiry (``310000``, 60.1 ``01``)."""
    return _card_txn("balance", t, trace, batch, None, card)


def pre_auth(t: TerminalId, trace: int, batch: int, amount_fen: int, card: CardData = _NO_CARD) -> Message:
    """0100 pre-authorisation (``030000``, 25 ``06``, 60.1 ``10``)."""
    return _card_txn("pre_auth", t, trace, batch, amount_fen, card)


def _original(orig_batch: int, orig_trace: int, orig_date: str | None) -> str:
    return OriginalTransaction(orig_batch, orig_trace, orig_date).to_field()


def void(
    t: TerminalId,
    trace: int,
    batch: int,
    amount_fen: int,
    rrn: str,
    auth_code: str,
    orig_trace: int,
    card: CardData = _NO_CARD,
) -> Message:
    """0200 purchase void (``200000``, 60.1 ``23``): fields 37, 38 and 61 name the original."""
    extra = {37: rrn, 38: auth_code or None, 61: _original(batch, orig_trace, None)}
    return _card_txn("void", t, trace, batch, amount_fen, card, extra)


def refund(
    t: TerminalId,
    trace: int,
    batch: int,
    amount_fen: int,
    rrn: str,
    orig_batch: int,
    orig_trace: int,
    orig_date: str = "0000",
    card: CardData = _NO_CARD,
) -> Message:
    """0220 refund (``200000``, 60.1 ``25``): fields 37 and 61 name the original, which may be settled."""
    extra = {37: rrn, 61: _original(orig_batch, orig_trace, orig_date)}
    return _card_txn("refund", t, trace, batch, amount_fen, card, extra)


def pre_auth_void(
    t: TerminalId,
    trace: int,
    batch: int,
    amount_fen: int,
    auth_code: str,
    orig_batch: int,
    orig_trace: int,
    card: CardData = _NO_CARD,
) -> Message:
    """0100 pre-authorisation void (``200000``, 60.1 ``11``): the pre-auth's code (38) and field 61."""
    extra = {38: auth_code, 61: _original(orig_batch, orig_trace, None)}
    return _card_txn("pre_auth_void", t, trace, batch, amount_fen, card, extra)


def completion(
    t: TerminalId,
    trace: int,
    batch: int,
    amount_fen: int,
    auth_code: str,
    orig_batch: int,
    orig_trace: int,
    card: CardData = _NO_CARD,
) -> Message:
    """0200 pre-authorisation completion (``000000``, 25 ``06``, 60.1 ``20``)."""
    extra = {38: auth_code, 61: _original(orig_batch, orig_trace, None)}
    return _card_txn("completion", t, trace, batch, amount_fen, card, extra)


def completion_void(
    t: TerminalId,
    trace: int,
    batch: int,
    amount_fen: int,
    rrn: str,
    auth_code: str,
    orig_trace: int,
    card: CardData = _NO_CARD,
) -> Message:
    """0200 completion void (``200000``, 25 ``06``, 60.1 ``21``)."""
    extra = {37: rrn, 38: auth_code, 61: _original(batch, orig_trace, None)}
    return _card_txn("completion_void", t, trace, batch, amount_fen, card, extra)


def reversal(original: Message, reason: str = "98") -> Message:
    """0400 reversal of ``original``: its trace, amount, card data and codes, with the reason in field 39
    (``98`` no reply, ``A0`` reply MAC failed, ``96`` terminal fault, ``06`` card declined after approval)."""
    keep = (2, 3, 4, 11, 14, 22, 23, 25, 38, 41, 42, 49, 60, 61)
    fields: dict[int, FieldValue] = {n: original.fields[n] for n in keep if n in original.fields}
    fields[39] = reason
    return Message("0400", fields, original.tpdu, original.header)


# ---------------------------------------------------------------------------------------------------------
# QR payments
# ---------------------------------------------------------------------------------------------------------


def qr_purchase(t: TerminalId, trace: int, batch: int, amount_fen: int, code: str) -> Message:
    """0200 purchase of a scanned customer code: entry mode ``032``, the code in field 59 [U]."""
    return _card_txn("purchase", t, trace, batch, amount_fen, CardData(entry_mode="032"), {59: code})


def qr_order_create(t: TerminalId, trace: int, batch: int, amount_fen: int) -> Message:
    """0200 ``900000``: ask the host for a merchant-presented order; the reply's 62 is the QR payload [U]."""
    fields: dict[int, FieldValue | None] = {
        3: "900000",
        4: format_amount(amount_fen),
        11: f"{trace:06d}",
        25: "00",
        49: "156",
        60: Field60("22", batch, "000").to_field(),
    }
    return _message(t, "0200", fields)


def qr_order_query(t: TerminalId, trace: int, batch: int, ref: str) -> Message:
    """0200 ``910000``: has order ``ref`` been paid? 00 paid, 09 not yet, 12 closed, 25 unknown [U]."""
    return _qr_order(t, "910000", trace, batch, ref)


def qr_order_close(t: TerminalId, trace: int, batch: int, ref: str) -> Message:
    """0200 ``920000``: close order ``ref`` (the cashier cancelled, or the terminal stopped waiting), so no
    wallet can pay it afterwards. 00 it was paid already (as a query's answer), 12 closed unpaid, 25
    unknown [U]."""
    return _qr_order(t, "920000", trace, batch, ref)


def _qr_order(t: TerminalId, processing_code: str, trace: int, batch: int, ref: str) -> Message:
    """A 0200 about order ``ref`` (field 37), with no amount or card data."""
    fields: dict[int, FieldValue | None] = {
        3: processing_code,
        11: f"{trace:06d}",
        25: "00",
        37: ref,
        60: Field60("22", batch, "000").to_field(),
    }
    return _message(t, "0200", fields)


# ---------------------------------------------------------------------------------------------------------
# Day end
# ---------------------------------------------------------------------------------------------------------


def settlement(
    t: TerminalId, trace: int, batch: int, totals: SettlementTotals, operator: str = "01 "
) -> Message:
    """0500 settlement: the terminal's totals in field 48 (result digits ``0``)."""
    f60 = Field60("00", batch, "201").to_field()
    fields: dict[int, FieldValue | None] = {
        11: f"{trace:06d}",
        48: totals.to_field(),
        49: "156",
        60: f60,
        63: operator.encode("ascii"),
    }
    return _message(t, "0500", fields)


def batch_upload(
    t: TerminalId,
    trace: int,
    batch: int,
    amount_fen: int,
    *,
    pan: str | None = None,
    entry_mode: str = "051",
    psn: str | None = None,
    icc: bytes | None = None,
) -> Message:
    """0320 batch upload of one transaction (60.3 ``201``): fields 2, 4, 11, 22, 23, 55, 60."""
    fields: dict[int, FieldValue | None] = {
        2: pan,
        4: format_amount(amount_fen),
        11: f"{trace:06d}",
        22: entry_mode,
        23: f"{int(psn):03d}" if psn is not None else None,
        55: icc,
        60: Field60("00", batch, "201").to_field(),
    }
    return _message(t, "0320", fields)


def batch_upload_end(t: TerminalId, trace: int, batch: int, count: int, balanced: bool = False) -> Message:
    """0320 batch-upload end: field 48 the count, 60.3 ``207`` when both halves balanced, else ``202``."""
    f60 = Field60("00", batch, "207" if balanced else "202").to_field()
    return _message(t, "0320", {11: f"{trace:06d}", 48: format_batch_count(count), 60: f60})
