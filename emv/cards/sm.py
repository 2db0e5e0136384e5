"""Secure messaging of issuer scripts: session keys, command MACs, PIN encipherment (EMV 4.4 Book 2, 9).

Integrity (9.2, format 2): the MAC, ISO/IEC 9797-1 algorithm 3 with padding method 2, is computed under the
SMI session key over ``CLA INS P1 P2 Lc | ATC | AC | command data``, where Lc counts the MAC and AC is the
cryptogram of the first GENERATE AC of the transaction (the ARQC the issuer saw, for template 71 and 72
scripts alike; :func:`script_ac` for Mastercard-like chaining); the command carries the MAC after its
data. Confidentiality (9.3): PIN CHANGE carries the new PIN enciphered under the SMC session key. How the
session keys and the PIN data are formed depends on the cryptogram version (:class:`emv.cards.cvn.SmKey`,
:class:`emv.cards.cvn.PinCipher`), after the models of pyemv 1.5 ``pyemv.cvn``. The card
(:mod:`emv.cards.script`) and the issuer (the host simulator, tests) share these functions.
"""

from __future__ import annotations

import logging

from emv.cards.cvn import CardCryptogram, PinCipher, SmKey
from emv.crypto import des, kd
from emv.crypto.ac import MasterKeyDerivation
from emv.crypto.errors import CryptoError, DataError
from emv.crypto.mac import Padding, generate_retail_mac
from emv.crypto.pinblock import PinBlockFormat, decode_pin_block, encode_pin_block

__all__ = [
    "build_script_command",
    "decipher_pin",
    "derive_icc_mk",
    "derive_sm_key",
    "encipher_pin",
    "generate_script_mac",
    "script_ac",
]

log = logging.getLogger(__name__)

_PAD = b"\x80" + bytes(7)


def derive_icc_mk(cryptogram: CardCryptogram, imk: bytes, pan: str, psn: str) -> bytes:
    """The ICC master key from an issuer master key, by the version's option A or B (Book 2, A1.4).

    Raises:
        KeyLengthError, PanError, DataError: as :func:`emv.crypto.kd.derive_icc_mk_a` does.
    """
    if cryptogram.version.mk_derivation is MasterKeyDerivation.OPTION_B:
        return kd.derive_icc_mk_b(imk, pan, psn)
    return kd.derive_icc_mk_a(imk, pan, psn)


def script_ac(cryptogram: CardCryptogram, ac: bytes, index: int) -> bytes:
    """The AC a script command uses: the first AC, plus ``index`` for ``COMMON_AC`` versions.

    ``index`` counts the script commands of the transaction before this one; pyemv's Mastercard CVN 20
    model adds one to 9F26 for each further command, in the key diversifier and in the MAC data alike.

    >>> from emv.cards.cvn import CARD_CRYPTOGRAMS
    >>> script_ac(CARD_CRYPTOGRAMS["MCHIP_CVN20"], bytes.fromhex("00000000000000FF"), 1).hex()
    '0000000000000100'
    >>> script_ac(CARD_CRYPTOGRAMS["VISA_CVN18"], bytes(8), 3) == bytes(8)
    True
    """
    if cryptogram.sm_key is not SmKey.COMMON_AC or not index:
        return ac
    return ((int.from_bytes(ac, "big") + index) % (1 << 64)).to_bytes(8, "big")


def derive_sm_key(cryptogram: CardCryptogram, icc_mk: bytes, atc: bytes, ac: bytes) -> bytes:
    """The SMI or SMC session key of a script command (Book 2, 9.2.1, A1.3); ``ac`` from :func:`script_ac`.

    >>> from emv.cards.cvn import CARD_CRYPTOGRAMS
    >>> mk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> derive_sm_key(CARD_CRYPTOGRAMS["VISA_CVN18"], mk, bytes.fromhex("001C"), bytes(8)).hex().upper()
    '0123456789ABCDF2FEDCBA987654CDF2'

    Raises:
        KeyLengthError: the master key is not 16 bytes.
        DataError: the ATC is not 2 bytes or the AC not 8.
    """
    if cryptogram.sm_key is SmKey.VISA_ATC:
        if len(icc_mk) != 16 or len(atc) != 2:
            raise DataError("SM key input", "needs a 16-byte master key and a 2-byte ATC")
        left = bytes(6) + atc
        right = bytes(6) + bytes((atc[0] ^ 0xFF, atc[1] ^ 0xFF))
        return des.adjust_parity(bytes(a ^ b for a, b in zip(icc_mk, left + right, strict=True)))
    if cryptogram.sm_key is SmKey.PBOC_ATC:
        return kd.derive_pboc_sk(icc_mk, atc)
    return kd.derive_common_sk(icc_mk, ac)


def generate_script_mac(
    sk_smi: bytes, header: bytes, atc: bytes, ac: bytes, data: bytes, length: int = 8
) -> bytes:
    """The MAC of a script command (Book 2, 9.2.3); ``header`` is ``CLA INS P1 P2 Lc``, Lc counting the MAC.

    >>> sk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")  # pyemv.sm.generate_command_mac example
    >>> generate_script_mac(sk, bytes.fromhex("8424000008"), bytes.fromhex("FFFF"),
    ...                     bytes.fromhex("1234567890123456"), b"").hex().upper()
    'E07B8DF1B4184282'

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a MAC length outside 4..8.
    """
    return generate_retail_mac(sk_smi, header + atc + ac + data, Padding.METHOD_2, length)


def build_script_command(
    cla: int,
    ins: int,
    p1: int,
    p2: int,
    data: bytes,
    *,
    sk_smi: bytes,
    atc: bytes,
    ac: bytes,
    mac_length: int = 8,
) -> bytes:
    """An issuer script command with its MAC, as the issuer puts it in tag 86 of template 71 or 72.

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a MAC length outside 4..8.
    """
    header = bytes((cla, ins, p1, p2, len(data) + mac_length))
    return header + data + generate_script_mac(sk_smi, header, atc, ac, data, mac_length)


def _vis_mask(icc_mk_ac: bytes) -> bytes:
    return bytes(4) + icc_mk_ac[4:8]


def encipher_pin(cryptogram: CardCryptogram, sk_smc: bytes, icc_mk_ac: bytes, pin: str) -> bytes:
    """The data of PIN CHANGE without the current PIN (P2 02): the new PIN enciphered (Book 2, 9.3).

    >>> from emv.cards.cvn import CARD_CRYPTOGRAMS
    >>> sk, mk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), bytes(16)
    >>> [decipher_pin(CARD_CRYPTOGRAMS[v], sk, mk, encipher_pin(CARD_CRYPTOGRAMS[v], sk, mk, "2468"))
    ...  for v in ("VISA_CVN18", "MCHIP_CVN20", "PBOC_CVN01")]
    ['2468', '2468', '2468']

    Raises:
        KeyLengthError: a key is not 16 bytes.
        PinError: the PIN is not 4 to 12 digits.
    """
    if cryptogram.pin_cipher is PinCipher.VISA:
        field = bytes.fromhex(f"{len(pin):02X}{pin}".ljust(16, "F"))
        block = bytes(a ^ b for a, b in zip(field, _vis_mask(icc_mk_ac), strict=True))
        return des.encrypt_ecb(sk_smc, bytes((len(block),)) + block + b"\x80" + bytes(6))
    block = encode_pin_block(pin, PinBlockFormat.ISO_2)
    if cryptogram.pin_cipher is PinCipher.EMV:
        block += _PAD
    return des.encrypt_cbc(sk_smc, block)


def decipher_pin(cryptogram: CardCryptogram, sk_smc: bytes, icc_mk_ac: bytes, data: bytes) -> str | None:
    """The new PIN of a PIN CHANGE (P2 02), or None when the data does not decipher to a PIN block."""
    if not data or len(data) % 8:
        return None
    if cryptogram.pin_cipher is PinCipher.VISA:
        plain = des.decrypt_ecb(sk_smc, data)
        if plain[0] != 8 or plain[9:] != b"\x80" + bytes(len(plain) - 10):
            return None
        field = bytes(a ^ b for a, b in zip(plain[1:9], _vis_mask(icc_mk_ac), strict=True)).hex().upper()
        n = int(field[:2], 16)
        pin = field[2 : 2 + n]
        ok = 4 <= n <= 12 and pin.isdigit() and set(field[2 + n :]) <= {"F"}
        return pin if ok else None
    plain = des.decrypt_cbc(sk_smc, data)
    expected = 16 if cryptogram.pin_cipher is PinCipher.EMV else 8
    if len(plain) != expected or plain[8:] != _PAD[: expected - 8] or plain[0] >> 4 != PinBlockFormat.ISO_2:
        return None
    try:
        return decode_pin_block(plain[:8])
    except CryptoError:
        return None
