"""``posemu emv run [--contactless] --card PROFILE [--amount N] [--json]``: one kernel transaction against a
virtual card.

The contact kernel (EMV 4.4 Book 3) runs against the named virtual card in process; when the card asks to
go online, the issuer's side (:mod:`host.issuer`, with the card's issuer master key) checks the ARQC and
answers with an ARPC, and the kernel completes. Prints the outcome, TVR, TSI, CVM results and the APDU
trace (command headers and status words, no data). ``--list`` lists the shipped profiles.

With ``--contactless`` the card is tapped instead (:mod:`emv.kernel.contactless`: Entry Point, qPBOC/qVSDC
or C-2 kernel) with a contactless profile (``--contactless --list``); the output adds the kernel, the CVM
and the moment the card could be removed. A card that answers "see phone" (a CDCVM device) is verified on
the device and tapped again, as a cardholder would.
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
    run.add_argument(
        "--contactless", action="store_true", help="tap a contactless card profile (Entry Point, kernels)"
    )
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


def _tap_summary(result: Any) -> dict[str, Any]:
    commands = len(result.trace)
    return {
        "outcome": result.outcome.name.lower(),
        "reason": result.reason,
        "kernel": result.kernel,
        "tvr": result.tvr.hex().upper(),
        "tsi": result.tsi.hex().upper(),
        "cvm_results": result.cvm_results.hex().upper(),
        "cvm": result.cvm.value,
        "ui_message": result.ui_message,
        "restart": result.restart,
        "card_removable": result.card_removable,
        "removable_after": result.removable_after,
        "commands": commands,
        "trace": result.trace,
    }


def run_tap(profile: str, amount: int, response_code: str, host_up: bool) -> dict[str, Any]:
    """Tap a fresh virtual contactless card; a JSON-ready summary (a "see phone" answer is verified on the
    device and tapped again)."""
    from emv.cards.contactless import load_contactless_card
    from emv.kernel.capk import default_capks
    from emv.kernel.contactless import ContactlessKernel
    from emv.kernel.context import Outcome, Transaction
    from emv.kernel.online import HostReply
    from emv.kernel.params import default_params
    from host.issuer import CardKeys, authorise

    card = load_contactless_card(profile)
    prof = card.image.profile
    events: list[str] = []
    kernel = ContactlessKernel(
        default_params(),
        default_capks(),
        card.transmit,
        _ScriptedCardholder(prof.pin),
        on_card_removable=lambda: events.append("card removable"),
    )
    when = dt.datetime.now().replace(microsecond=0)
    first = kernel.start(Transaction(amount_minor=amount, when=when, sequence_counter=1))
    taps = [{"outcome": first.outcome.name.lower(), "reason": first.reason, "ui_message": first.ui_message}]
    if first.restart:
        card.verify_on_device()
        first = kernel.start(Transaction(amount_minor=amount, when=when, sequence_counter=2))
        taps.append({"outcome": first.outcome.name.lower(), "reason": first.reason, "ui_message": ""})
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
        "contactless": True,
        **_tap_summary(result),
        "first_outcome": first.outcome.name.lower(),
        "taps": taps,
        "issuer": issuer,
        "signature_required": result.signature_required,
        "cryptogram": result.receipt.get(0x9F26, b"").hex().upper(),
        "trace": first.trace,
    }


def _print_tap(summary: dict[str, Any]) -> None:
    print(f"card        {summary['card']} (contactless)")
    print(f"kernel      {summary['kernel'] or '-'}")
    for k, tap in enumerate(summary["taps"][:-1], 1):
        print(f"tap {k}       {tap['outcome']} ({tap['reason']}; {tap['ui_message']}): tapped again")
    print(f"outcome     {summary['outcome']} ({summary['reason']})")
    if summary["first_outcome"] != summary["outcome"]:
        print(f"tap outcome {summary['first_outcome']}")
    if summary["issuer"]:
        print(f"issuer      {summary['issuer']['response_code']} ({summary['issuer']['reason']})")
    for key in ("tvr", "tsi", "cvm_results", "cvm", "cryptogram", "ui_message"):
        print(f"{key:11} {summary[key]}")
    after, total = summary["removable_after"], summary["commands"]
    when = "before the online request" if summary["first_outcome"] == "go_online" else "at the outcome"
    if total:
        print(f"removable   after card command {after} of {total}, {when}")
    else:
        print("removable   no card command was sent")
    print("trace")
    for k, line in enumerate(summary["trace"], 1):
        mark = "   <- card may be removed" if k == after and after else ""
        print(f"  {line}{mark}")


def _check_card(args: argparse.Namespace) -> None:
    from config.errors import ConfigError
    from emv.cards import list_profiles
    from emv.cards.contactless import list_contactless_profiles

    known = list_contactless_profiles() if args.contactless else list_profiles()
    listing = "--contactless --list" if args.contactless else "--list"
    if not args.card:
        raise ConfigError(f"emv run: give --card PROFILE (see {listing})")
    if args.card not in known:
        raise ConfigError(f"emv run: no card profile {args.card!r} (see {listing})")
    if args.amount < 0:
        raise ConfigError("emv run: the amount is a non-negative integer in minor units")


def run(args: argparse.Namespace) -> int:
    from emv.cards import list_profiles
    from emv.cards.contactless import list_contactless_profiles

    if args.list:
        print("\n".join(list_contactless_profiles() if args.contactless else list_profiles()))
        return 0
    _check_card(args)
    if args.contactless:
        tap = run_tap(args.card, args.amount, args.decline or "00", not args.offline_host)
        if args.json:
            json.dump(tap, sys.stdout, indent=2)
            print()
        else:
            _print_tap(tap)
        return 0
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
