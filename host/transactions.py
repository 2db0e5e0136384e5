"""The CUP POS transaction table and response codes as data (DOMAIN_FACTS section A).

The financial rows are the transaction factor table of the CUP POS specification (2002 field description,
section 1; identical in Centerm ``TranscationFactorTable.java``): request and reply MTIs, processing code
(field 3), condition code (field 25), the type code 60.1 and whether a reversal record is kept before
sending. The management rows give 60.1 ``00`` and their network management code 60.3. A reversal (0400)
repeats the original's field 3, 25 and 60.1, so it has no row of its own; :data:`REVERSAL_REASONS` lists
the codes a terminal puts in field 39 of a 0400.

>>> TRANSACTIONS["purchase"].request_mti, TRANSACTIONS["purchase"].processing_code
('0200', '000000')
>>> [t.name for t in TRANSACTIONS.values() if t.reversible]
['pre_auth', 'pre_auth_void', 'completion', 'completion_void', 'purchase', 'void']
>>> RESPONSE_CODES["A0"]
'MAC failed (sign on again)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["RESPONSE_CODES", "REVERSAL_REASONS", "TRANSACTIONS", "TransactionType"]


@dataclass(frozen=True)
class TransactionType:
    """One row of the transaction table. ``processing_code``/``condition_code`` are None when not sent."""

    name: str
    request_mti: str
    response_mti: str
    processing_code: str | None
    condition_code: str | None
    type_code: str
    network_code: str = "000"
    reversible: bool = False


def _t(
    name: str,
    mtis: str,
    f3: str | None,
    f25: str | None,
    f60_1: str,
    f60_3: str = "000",
    reversible: bool = False,
) -> TransactionType:
    request, response = mtis.split("/")
    return TransactionType(name, request, response, f3, f25, f60_1, f60_3, reversible)


TRANSACTIONS: Mapping[str, TransactionType] = MappingProxyType(
    {
        t.name: t
        for t in (
            _t("balance", "0200/0210", "310000", "00", "01"),
            _t("pre_auth", "0100/0110", "030000", "06", "10", reversible=True),
            _t("pre_auth_void", "0100/0110", "200000", "06", "11", reversible=True),
            _t("completion", "0200/0210", "000000", "06", "20", reversible=True),
            _t("completion_void", "0200/0210", "200000", "06", "21", reversible=True),
            _t("purchase", "0200/0210", "000000", "00", "22", reversible=True),
            _t("void", "0200/0210", "200000", "00", "23", reversible=True),
            _t("refund", "0220/0230", "200000", "00", "25"),
            _t("offline_settlement", "0220/0230", "000000", "00", "30"),
            _t("adjustment", "0220/0230", "000000", "00", "32"),
            _t("sign_on", "0800/0810", None, None, "00", "004"),
            _t("sign_off", "0820/0830", None, None, "00", "002"),
            _t("echo_test", "0820/0830", None, None, "00", "301"),
            _t("settlement", "0500/0510", None, None, "00", "201"),
            _t("batch_upload", "0320/0330", None, None, "00", "201"),
            _t("batch_upload_end", "0320/0330", None, None, "00", "207"),
        )
    }
)
"""Transaction types by name. The echo test's 60.3 ``301`` is [U]; the batch-upload end's 60.3 is ``207``
when both settlement halves balanced, else ``202`` (see :func:`host.settlement.batch_end_network_code`)."""

RESPONSE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "00": "approved",
        "01": "refer to issuer",
        "03": "invalid merchant",
        "04": "pick up card",
        "05": "do not honour",
        "12": "invalid transaction",
        "13": "invalid amount",
        "14": "invalid card number",
        "15": "no such issuer",
        "22": "suspected malfunction",
        "25": "original transaction not found",
        "30": "format error",
        "41": "lost card",
        "43": "stolen card",
        "51": "insufficient funds",
        "54": "expired card",
        "55": "wrong PIN",
        "57": "transaction not permitted to cardholder",
        "58": "transaction not permitted to terminal",
        "61": "exceeds amount limit",
        "75": "PIN tries exceeded",
        "90": "cut-off in progress",
        "91": "issuer inoperative",
        "94": "duplicate transmission",
        "96": "system malfunction",
        "97": "terminal not registered",
        "98": "no answer from the issuer",
        "99": "PIN format error",
        "A0": "MAC failed (sign on again)",
    }
)
"""Field 39 of replies (DOMAIN_FACTS A; Centerm ``ISORespCode.java``)."""

REVERSAL_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "98": "no reply in time",
        "A0": "reply MAC failed",
        "96": "terminal fault after approval",
        "06": "other: card declined after host approval, or kernel error",
    }
)
"""Field 39 of a reversal request (0400): why the terminal reverses (Centerm ``ReverseReasonCode.java``)."""
