"""Status words a virtual card answers (ISO/IEC 7816-4, 5.6; EMV 4.4 Book 3, 6.3.5 and Book 1, 11)."""

from __future__ import annotations

__all__ = [
    "SW_AUTH_FAILED",
    "SW_CLA_NOT_SUPPORTED",
    "SW_CONDITIONS",
    "SW_DATA_NOT_FOUND",
    "SW_FILE_NOT_FOUND",
    "SW_FUNCTION_NOT_SUPPORTED",
    "SW_INS_NOT_SUPPORTED",
    "SW_NO_DIAGNOSIS",
    "SW_OK",
    "SW_PIN_BLOCKED",
    "SW_RECORD_NOT_FOUND",
    "SW_SELECTED_BLOCKED",
    "SW_SM_INCORRECT",
    "SW_WRONG_DATA",
    "SW_WRONG_LENGTH",
    "SW_WRONG_P1P2",
    "Reply",
    "sw_pin_tries",
]

Reply = tuple[bytes, int]
"""What a command handler returns: response data and status word."""

SW_OK = 0x9000
SW_SELECTED_BLOCKED = 0x6283  # selected file invalidated: the application is blocked (Book 1, 12.3.2)
SW_AUTH_FAILED = 0x6300  # EXTERNAL AUTHENTICATE: the ARPC did not verify (Book 3, 6.5.4.4)
SW_WRONG_LENGTH = 0x6700
SW_PIN_BLOCKED = 0x6983  # authentication method blocked: PIN try limit exceeded (Book 3, 6.5.12.4)
SW_CONDITIONS = 0x6985  # conditions of use not satisfied
SW_SM_INCORRECT = 0x6988  # incorrect secure messaging data objects: a script MAC that fails
SW_WRONG_DATA = 0x6A80
SW_FUNCTION_NOT_SUPPORTED = 0x6A81
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_WRONG_P1P2 = 0x6A86
SW_DATA_NOT_FOUND = 0x6A88
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_NO_DIAGNOSIS = 0x6F00


def sw_pin_tries(left: int) -> int:
    """``63Cx``: verification failed, ``x`` tries left (Book 3, 6.5.12.4).

    >>> hex(sw_pin_tries(2))
    '0x63c2'
    """
    return 0x63C0 | min(left, 15)
