"""TDES DUKPT, terminal side (ANSI X9.24-1:2009, Annex A; the same scheme as X9.24-3:2017, Annex C).

The 10-byte KSN is a 59-bit initial key serial number and a 21-bit transaction counter. The terminal holds the
IPEK (initial PIN encryption key, derived from the BDK at injection); the key of a transaction comes from it
by one non-reversible key generation step per counter bit that is set (A.2, A.3). Working keys are that key
xor a variant constant (A.4.1, table A-1). The host derives the same keys from the BDK and the KSN.
"""

from __future__ import annotations

import logging

from emv.crypto import des
from emv.crypto._validate import check_key, check_length, xor
from emv.crypto.errors import KsnError

log = logging.getLogger(__name__)

KSN_LENGTH = 10
COUNTER_BITS = 21
COUNTER_MASK = (1 << COUNTER_BITS) - 1
MAX_COUNTER_ONES = 10  # X9.24-1:2009, A.3: counters with more "one" bits are skipped

_KEY_VARIANT = bytes.fromhex("C0C0C0C000000000C0C0C0C000000000")
PIN_VARIANT = bytes.fromhex("00000000000000FF00000000000000FF")
MAC_REQUEST_VARIANT = bytes.fromhex("000000000000FF00000000000000FF00")
MAC_RESPONSE_VARIANT = bytes.fromhex("00000000FF00000000000000FF000000")
DATA_REQUEST_VARIANT = bytes.fromhex("0000000000FF00000000000000FF0000")
DATA_RESPONSE_VARIANT = bytes.fromhex("000000FF00000000000000FF00000000")


def _counter(ksn: bytes) -> int:
    check_length(ksn, (KSN_LENGTH,), "KSN")
    return int.from_bytes(ksn, "big") & COUNTER_MASK


def _check_counter(counter: int) -> None:
    if counter == 0:
        raise KsnError("KSN", "transaction counter is 0, which no transaction uses")
    if counter.bit_count() > MAX_COUNTER_ONES:
        raise KsnError("KSN", f"transaction counter has {counter.bit_count()} one bits, more than 10")


def derive_ipek(bdk: bytes, ksn: bytes) -> bytes:
    """Initial PIN encryption key from the BDK and any KSN of the device (X9.24-1:2009, A.6).

    IPEK = E_BDK(IKSN) || E_(BDK xor C0C0C0C000000000C0C0C0C000000000)(IKSN), where IKSN is the leftmost 8
    bytes of the KSN with the counter bits cleared.

    >>> bdk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> derive_ipek(bdk, bytes.fromhex("FFFF9876543210E00000")).hex().upper()
    '6AC292FAA1315B4D858AB3A3D7D5933A'

    Raises:
        KeyLengthError: the BDK is not 16 bytes.
        DataError: the KSN is not 10 bytes.
    """
    check_key(bdk, (16,), "BDK")
    check_length(ksn, (KSN_LENGTH,), "KSN")
    iksn = (int.from_bytes(ksn, "big") & ~COUNTER_MASK).to_bytes(KSN_LENGTH, "big")[:8]
    return des.encrypt_ecb(bdk, iksn) + des.encrypt_ecb(xor(bdk, _KEY_VARIANT), iksn)


def _generate_key(key: bytes, ksn_register: bytes) -> bytes:
    """Non-reversible key generation process (X9.24-1:2009, A.2): crypto register 1 || crypto register 2."""
    left, right = key[:8], key[8:]
    reg2 = xor(des.encrypt_ecb(left, xor(ksn_register, right)), right)
    variant = xor(key, _KEY_VARIANT)
    left, right = variant[:8], variant[8:]
    reg1 = xor(des.encrypt_ecb(left, xor(ksn_register, right)), right)
    return reg1 + reg2


def derive_transaction_key(ipek: bytes, ksn: bytes) -> bytes:
    """The current transaction key for ``ksn`` from the IPEK (X9.24-1:2009, A.2 and A.3).

    Starting from the IPEK and the rightmost 8 KSN bytes with the counter cleared, each counter bit that is
    set, from the highest, is set in the register and one non-reversible key generation step is run.

    >>> ipek = bytes.fromhex("6AC292FAA1315B4D858AB3A3D7D5933A")
    >>> derive_transaction_key(ipek, bytes.fromhex("FFFF9876543210E00001")).hex().upper()
    '042666B49184CFA368DE9628D0397BC9'

    Raises:
        KeyLengthError: the IPEK is not 16 bytes.
        DataError: the KSN is not 10 bytes.
        KsnError: the counter is 0 or has more than 10 one bits.
    """
    check_key(ipek, (16,), "IPEK")
    counter = _counter(ksn)
    _check_counter(counter)
    register = int.from_bytes(ksn[2:], "big") & ~COUNTER_MASK
    key = ipek
    for bit in range(COUNTER_BITS - 1, -1, -1):
        if counter >> bit & 1:
            register |= 1 << bit
            key = _generate_key(key, register.to_bytes(8, "big"))
    return key


def advance_ksn(ksn: bytes) -> bytes:
    """The next KSN a terminal uses: the next counter with at most 10 one bits (X9.24-1:2009, A.3).

    >>> advance_ksn(bytes.fromhex("FFFF9876543210E003FF")).hex().upper()
    'FFFF9876543210E00400'

    Raises:
        DataError: the KSN is not 10 bytes.
        KsnError: the counter is exhausted (no valid counter follows).
    """
    counter = _counter(ksn) + 1
    while counter.bit_count() > MAX_COUNTER_ONES:
        counter += counter & -counter  # skip every counter sharing these low bits
    if counter > COUNTER_MASK:
        raise KsnError("KSN", "transaction counter is exhausted; the device needs a new IPEK")
    return ((int.from_bytes(ksn, "big") & ~COUNTER_MASK) | counter).to_bytes(KSN_LENGTH, "big")


def derive_pin_key(transaction_key: bytes) -> bytes:
    """PIN encryption key: the transaction key xor the PIN variant (X9.24-1:2009, A.4.1, table A-1).

    >>> derive_pin_key(bytes.fromhex("042666B49184CFA368DE9628D0397BC9")).hex().upper()
    '042666B49184CF5C68DE9628D0397B36'

    Raises:
        KeyLengthError: the transaction key is not 16 bytes.
    """
    check_key(transaction_key, (16,), "transaction key")
    return xor(transaction_key, PIN_VARIANT)


def derive_mac_request_key(transaction_key: bytes) -> bytes:
    """MAC key for requests (or both ways): transaction key xor the MAC request variant (A.4.1, table A-1).

    >>> derive_mac_request_key(bytes.fromhex("042666B49184CFA368DE9628D0397BC9")).hex().upper()
    '042666B4918430A368DE9628D03984C9'

    Raises:
        KeyLengthError: the transaction key is not 16 bytes.
    """
    check_key(transaction_key, (16,), "transaction key")
    return xor(transaction_key, MAC_REQUEST_VARIANT)


def derive_mac_response_key(transaction_key: bytes) -> bytes:
    """MAC key for responses: the transaction key xor the MAC response variant (A.4.1, table A-1).

    >>> derive_mac_response_key(bytes.fromhex("042666B49184CFA368DE9628D0397BC9")).hex().upper()
    '042666B46E84CFA368DE96282F397BC9'

    Raises:
        KeyLengthError: the transaction key is not 16 bytes.
    """
    check_key(transaction_key, (16,), "transaction key")
    return xor(transaction_key, MAC_RESPONSE_VARIANT)


def _one_way(variant_key: bytes) -> bytes:
    return des.encrypt_ecb(variant_key, variant_key[:8]) + des.encrypt_ecb(variant_key, variant_key[8:])


def derive_data_request_key(transaction_key: bytes) -> bytes:
    """Data encryption key for requests (or both ways) (X9.24-1:2009, A.4.1, table A-1).

    The transaction key xor the data variant, then each half TDEA-encrypted under that variant key. The
    one-way step is what IDTech readers, moov-io/dukpt and the Ruby ``dukpt`` gem do (the doctest value is
    the gem's); whether X9.24-1:2009 mandates it was not checked against the standard's text, so confirm
    with the host, which may expect the bare variant.

    >>> derive_data_request_key(bytes.fromhex("27F66D5244FF62E1AA6F6120EDEB4280")).hex().upper()
    'C39B2778B058AC376FB18DC906F75CBA'

    Raises:
        KeyLengthError: the transaction key is not 16 bytes.
    """
    check_key(transaction_key, (16,), "transaction key")
    return _one_way(xor(transaction_key, DATA_REQUEST_VARIANT))


def derive_data_response_key(transaction_key: bytes) -> bytes:
    """Data encryption key for responses: data response variant, then the one-way step (A.4.1, table A-1).

    Raises:
        KeyLengthError: the transaction key is not 16 bytes.
    """
    check_key(transaction_key, (16,), "transaction key")
    return _one_way(xor(transaction_key, DATA_RESPONSE_VARIANT))
