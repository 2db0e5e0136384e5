"""Issuer scripts the host puts in field 55 of an authorisation reply (EMV 4.4 Book 3, 10.10; Book 2, 9.2).

A card's ``pending_script`` names one command for its next online transaction, optionally prefixed by
the template: ``"block"`` (APPLICATION BLOCK, ``84 1E``), ``"unblock"`` (APPLICATION UNBLOCK, ``84 18``),
``"pin_unblock"`` (PIN CHANGE/UNBLOCK P2 ``00``, ``84 24``), ``"put_9F14:03"`` / ``"put_9F23:05"`` (PUT
DATA of the lower/upper consecutive offline limit, ``04 DA``), as ``"71:block"`` to run before the second
GENERATE AC or ``"72:block"`` (the default) after it. The command carries its secure-messaging MAC under
the card's SMI session key for this ATC and ARQC (:mod:`emv.cards.sm`, shared with the virtual card), in
a template with script identifier ``9F18`` and the command in ``86``.

>>> parse_script("71:put_9F14:03")
(113, 4, 218, 159, 20, b'\\x03')
>>> parse_script("reboot")
Traceback (most recent call last):
...
ValueError: unknown issuer script 'reboot'
"""

from __future__ import annotations

from emv import tlv
from emv.cards.cvn import CARD_CRYPTOGRAMS
from emv.cards.sm import build_script_command, derive_icc_mk, derive_sm_key
from host.records import Card, IssuerKeys

__all__ = ["SCRIPT_ID", "build_script", "parse_script"]

SCRIPT_ID = bytes.fromhex("00000001")
_COMMANDS = {
    "block": (0x84, 0x1E, 0x00, 0x00),
    "unblock": (0x84, 0x18, 0x00, 0x00),
    "pin_unblock": (0x84, 0x24, 0x00, 0x00),
}


def parse_script(text: str) -> tuple[int, int, int, int, int, bytes]:
    """``(template tag, CLA, INS, P1, P2, data)`` of a pending-script description.

    Raises:
        ValueError: an unknown command, template or PUT DATA value.
    """
    template = 0x72
    if text[:3] in ("71:", "72:"):
        template, text = int(text[:2], 16), text[3:]
    if text in _COMMANDS:
        return (template, *_COMMANDS[text], b"")
    name, _, value = text.partition(":")
    if name in ("put_9F14", "put_9F23") and len(value) == 2:
        try:
            data = bytes.fromhex(value)
        except ValueError:
            data = b""
        if data:
            tag = 0x9F14 if name == "put_9F14" else 0x9F23
            return (template, 0x04, 0xDA, tag >> 8, tag & 0xFF, data)
    raise ValueError(f"unknown issuer script {text!r}")


def build_script(text: str, card: Card, keys: IssuerKeys, atc: bytes, arqc: bytes) -> bytes:
    """The encoded script template (71 or 72) for field 55.

    Raises:
        ValueError: an unknown script description.
        CryptoError: keys or data of the wrong length.
    """
    template, cla, ins, p1, p2, data = parse_script(text)
    cryptogram = CARD_CRYPTOGRAMS[keys.cryptogram]
    icc_mk = derive_icc_mk(cryptogram, keys.imk_smi, card.pan, card.psn)
    sk_smi = derive_sm_key(cryptogram, icc_mk, atc, arqc)
    command = build_script_command(cla, ins, p1, p2, data, sk_smi=sk_smi, atc=atc, ac=arqc)
    return tlv.encode([(template, [(0x9F18, SCRIPT_ID), (0x86, command)])])
