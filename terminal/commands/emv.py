"""``posemu emv run --card PROFILE [--amount N] [--json]``: one kernel transaction against a virtual card.

The contact kernel (EMV 4.4 Book 3) runs against the named virtual card in process; when the card asks to
go online, the issuer's side (:mod:`host.issuer`, with the card's issuer master key) checks the ARQC and
answers with an ARPC, and the kernel completes. Prints the outcome, TVR, TSI, CVM results and the APDU
trace (command headers and status words, no data). ``--list`` lists the shipped profiles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="emv_command", required=True, metavar="ACTION")
    run = sub.add_parser("run", help="run one transaction against a virtual card")
    run.add_argument("--card", metavar="PROFILE", help="virtual card profile (see --list)")
    run.add_argument("--list", action="store_true", help="list the shipped card profiles, one a line")
    run.add_argument("--amount", type=int, default=1000, help="amount in minor units (fen), default 1000")
    run.add_argument("--pin", help="PIN the cardholder enters (default: the card's own PIN)")
    run.add_argument("--decline", metavar="CODE", help="issuer response code to answer instead of 00")
    run.add_argument("--offline-host", action="store_true", help="the host cannot be reached")
    run.add_argument("--json", action="store_true", help="print a JSON object")


class _ScriptedCardholder:
    """Answers the kernel's prompts: first application, the given PIN, online PIN entered."""

    def __init__(self, pin: str) -> None:
        self._pin = pin

    def choose_application(self, labels: Sequence[str]) -> int | None:
        return 0

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        return bytearray(self._pin.encode("ascii"))

    def enter_online_pin(self) -> bool:
        return True


def run_transaction(
    profile: str, amount: int, pin: str | None, response_code: str, host_up: bool
) -> dict[str, Any]:
    """Run one contact transaction against a fresh virtual card; a JSON-ready summary."""
    from emv.cards import load_card
    from emv.kernel.capk import default_capks
    from emv.kernel.context import Outcome, Transaction
    from emv.kernel.kernel import ContactKernel
    from emv.kernel.online import HostReply
    from emv.kernel.params import default_params
    from host.issuer import CardKeys, authorise

    card = load_card(profile)
    prof = card.image.profile
    kernel = ContactKernel(
        default_params(), default_capks(), card.transmit, _ScriptedCardholder(pin or prof.pin)
    )
    txn = Transaction(amount_minor=amount, when=dt.datetime.now().replace(microsecond=0), sequence_counter=1)
    first = kernel.start(txn)
    result, issuer = first, None
    if first.outcome is Outcome.GO_ONLINE:
        if host_up:
            keys = CardKeys(prof.pan, prof.psn, prof.imk_ac, prof.cryptogram.version)
            decision = authorise(keys, first.field55, response_code)
            issuer = {"response_code": decision.response_code, "reason": decision.reason}
            result = kernel.complete(HostReply(decision.response_code.encode(), decision.issuer_auth_data))
        else:
            result = kernel.complete(None)
    return {
        "card": profile,
        "outcome": result.outcome.name.lower(),
        "reason": result.reason,
        "first_outcome": first.outcome.name.lower(),
        "issuer": issuer,
        "tvr": result.tvr.hex().upper(),
        "tsi": result.tsi.hex().upper(),
        "cvm_results": result.cvm_results.hex().upper(),
        "signature_required": result.signature_required,
        "reversal_needed": result.reversal_needed,
        "cryptogram": result.receipt.get(0x9F26, b"").hex().upper(),
        "trace": result.trace,
    }


def run(args: argparse.Namespace) -> int:
    from config.errors import ConfigError
    from emv.cards import list_profiles

    if args.list:
        print("\n".join(list_profiles()))
        return 0
    if not args.card:
        raise ConfigError("emv run: give --card PROFILE (see --list)")
    if args.card not in list_profiles():
        raise ConfigError(f"emv run: no card profile {args.card!r} (see --list)")
    if args.amount < 0:
        raise ConfigError("emv run: the amount is a non-negative integer in minor units")
    summary = run_transaction(args.card, args.amount, args.pin, args.decline or "00", not args.offline_host)
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        print()
        return 0
    print(f"card        {summary['card']}")
    print(f"outcome     {summary['outcome']} ({summary['reason']})")
    if summary["issuer"]:
        print(f"issuer      {summary['issuer']['response_code']} ({summary['issuer']['reason']})")
    for key in ("tvr", "tsi", "cvm_results", "cryptogram"):
        print(f"{key:11} {summary[key]}")
    print("trace")
    for line in summary["trace"]:
        print(f"  {line}")
    return 0
