"""The terminal's hierarchical state machine as data: states, transitions and the transaction flows
(ARCHITECTURE.md section 1; STYLE.md section 3; the merchant's guide, MERCHANT_GUIDE.md).

State names are single words (``_`` is the nesting separator of ``transitions``). Triggers are facts that
happened (``selftest_ok``, ``entered``, ``captured``, ``approved``). Every transaction kind (sale, void,
refund, balance, pre-auth, completion, QR sale, scanned-code sale) runs in the one ``txn`` state through
the steps its entry in :data:`FLOWS` lists; the model moves to the next step with the trigger
``goto_<step>``, whose source is the parent ``txn`` so it covers every child.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

__all__ = ["FLOWS", "STATES", "STEPS", "TRANSITIONS"]

# The steps a transaction can go through, in the order the flows use them.
STEPS = (
    "password",  # supervisor password (void, refund)
    "original",  # trace number of the original (void, completion) or its reference number (refund)
    "amount",  # amount entry
    "reason",  # refund reason
    "confirm",  # confirm the amount / the original found
    "capture",  # insert, tap or swipe (chip kernel, contactless, magstripe rules)
    "scan",  # scan the customer's payment code
    "qr",  # show a dynamic QR and poll the host for the payment
    "pin",  # online PIN entry
    "online",  # the authorisation (reversal first), second GENERATE AC, scripts
    "result",  # approved / declined screen
    "receipt",  # printing; paper out waits here
)

STATES: list[Any] = [
    "off",
    "boot",
    "fault",
    {"name": "activate", "children": ["mid", "tid", "confirm"], "initial": "mid"},
    {"name": "login", "children": ["operator", "password", "signon"], "initial": "operator"},
    "idle",
    "menu",
    {"name": "txn", "children": list(STEPS), "initial": "capture"},
    {"name": "reprint", "children": ["choose", "trace", "print"], "initial": "choose"},
    {"name": "settle", "children": ["confirm", "online", "report"], "initial": "confirm"},
    "signoff",
    "paperout",
]

TRANSITIONS: list[list[Any]] = [
    ["power_on", "off", "boot"],
    ["selftest_failed", "boot", "fault"],
    ["needs_activation", "boot", "activate"],
    ["selftest_ok", "boot", "login"],
    ["reset", "fault", "boot"],
    ["entered", "activate_mid", "activate_tid"],
    ["entered", "activate_tid", "activate_confirm"],
    ["activated", "activate_confirm", "login"],
    ["cancel", "activate", "activate"],
    ["entered", "login_operator", "login_password"],
    ["login_failed", "login_password", "login_operator"],
    ["logged_in", "login_password", "login_signon"],
    ["signed_on", "login_signon", "idle"],
    ["signon_failed", "login_signon", "login_operator"],
    ["cancel", "login", "login"],
    ["menu", "idle", "menu"],
    ["cancel", ["menu", "reprint", "signoff"], "idle"],
    ["start", ["idle", "menu"], "txn"],
    ["done", ["txn", "reprint", "settle", "paperout"], "idle"],
    ["cancel", "txn", "idle"],
    ["paper_out", ["txn_receipt", "reprint_print", "settle_report"], "paperout"],
    ["reprint", ["idle", "menu", "paperout"], "reprint"],
    ["entered", "reprint_trace", "reprint_print"],
    ["last", "reprint_choose", "reprint_print"],
    ["by_trace", "reprint_choose", "reprint_trace"],
    ["settle", ["idle", "menu"], "settle"],
    ["entered", "settle_confirm", "settle_online"],
    ["settled", "settle_online", "settle_report"],
    ["cancel", "settle", "idle"],
    ["sign_off", ["idle", "menu"], "signoff"],
    ["signed_off", "signoff", "login"],
    ["fault", "*", "fault"],
    *[[f"goto_{step}", "txn", f"txn_{step}"] for step in STEPS],
]

# Which steps each transaction kind goes through (the model skips "pin" unless the CVM asks for it).
FLOWS: Mapping[str, Sequence[str]] = MappingProxyType(
    {
        "sale": ("amount", "capture", "pin", "online", "result", "receipt"),
        "void": ("password", "original", "confirm", "online", "result", "receipt"),
        "refund": ("password", "original", "amount", "reason", "online", "result", "receipt"),
        "balance": ("capture", "pin", "online", "result"),
        "preauth": ("amount", "capture", "pin", "online", "result", "receipt"),
        "completion": ("original", "amount", "online", "result", "receipt"),
        "qr_sale": ("amount", "qr", "result", "receipt"),
        "scan_sale": ("amount", "scan", "online", "result", "receipt"),
    }
)
