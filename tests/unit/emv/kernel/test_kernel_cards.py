"""Every shipped virtual card, fault profiles included, through the contact kernel and the in-process
issuer: outcomes, TVR, TSI and CVM results asserted byte by byte (EMV 4.4 Book 3 Annex C)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from emv.cards import list_profiles, load_card
from emv.kernel.capk import default_capks
from emv.kernel.context import KernelResult, Outcome, Transaction
from emv.kernel.kernel import ContactKernel
from emv.kernel.online import HostReply
from emv.kernel.params import default_params
from host.issuer import CardKeys, authorise
from terminal.commands.emv import _ScriptedCardholder

WHEN = dt.datetime(2026, 11, 26, 10, 0, 0)
PARAMS, CAPKS = default_params(), default_capks()

# profile, first outcome, final outcome, TVR, TSI, CVM results (amount 1000 fen, UN 11223344, seeded rng)
EXPECTED = [
    ("app-blocked", "TERMINATED", "TERMINATED", "0000000000", "0000", "3F0000"),
    ("bad-sdad", "GO_ONLINE", "APPROVED_ONLINE", "0800000000", "F800", "5E0300"),  # DDA failed
    ("bad-ssad", "GO_ONLINE", "APPROVED_ONLINE", "4200008000", "F800", "410302"),  # SDA failed
    ("declines-offline", "DECLINED_OFFLINE", "DECLINED_OFFLINE", "0000040000", "E800", "420300"),
    ("expired", "GO_ONLINE", "APPROVED_ONLINE", "0240008000", "F800", "410302"),  # expired application
    ("genac-6985", "TERMINATED", "TERMINATED", "0200008000", "C800", "410302"),
    ("mc-dda", "APPROVED_OFFLINE", "APPROVED_OFFLINE", "0000000000", "E800", "5E0300"),
    ("not-yet-effective", "APPROVED_OFFLINE", "APPROVED_OFFLINE", "0020000000", "E800", "5E0300"),
    ("pboc-sda", "GO_ONLINE", "APPROVED_ONLINE", "0200008000", "F800", "410302"),
    ("pin-blocked", "GO_ONLINE", "APPROVED_ONLINE", "0200248000", "F800", "420300"),  # try limit, online PIN
    ("revoked-issuer", "GO_ONLINE", "APPROVED_ONLINE", "0400040000", "E800", "420300"),  # CDA failed
    ("visa-cda", "GO_ONLINE", "APPROVED_ONLINE", "0000040000", "E800", "420300"),
]


def _kernel(profile: str, pin: str | None = None) -> tuple[ContactKernel, CardKeys]:
    card = load_card(profile)
    prof = card.image.profile
    kernel = ContactKernel(
        PARAMS,
        CAPKS,
        card.transmit,
        _ScriptedCardholder(pin or prof.pin),
        unpredictable=lambda: b"\x11\x22\x33\x44",
        rng=random.Random(7),
    )
    return kernel, CardKeys(prof.pan, prof.psn, prof.imk_ac, prof.cryptogram.version)


def _online(
    kernel: ContactKernel, keys: CardKeys, amount: int = 1000, code: str = "00"
) -> tuple[KernelResult, KernelResult]:
    first = kernel.start(Transaction(amount_minor=amount, when=WHEN, sequence_counter=1))
    if first.outcome is not Outcome.GO_ONLINE:
        return first, first
    decision = authorise(keys, first.field55, code)
    assert decision.reason == "ARQC verified"
    return first, kernel.complete(HostReply(decision.response_code.encode(), decision.issuer_auth_data))


def test_every_profile_is_covered() -> None:
    assert sorted(p for p, *_ in EXPECTED) == sorted(list_profiles())


@pytest.mark.parametrize(("profile", "first_outcome", "final_outcome", "tvr", "tsi", "cvm"), EXPECTED)
def test_profile(profile: str, first_outcome: str, final_outcome: str, tvr: str, tsi: str, cvm: str) -> None:
    kernel, keys = _kernel(profile)
    first, final = _online(kernel, keys)
    assert first.outcome.name == first_outcome, first.reason
    assert final.outcome.name == final_outcome, final.reason
    assert (final.tvr.hex().upper(), final.tsi.hex().upper(), final.cvm_results.hex().upper()) == (
        tvr,
        tsi,
        cvm,
    )
    if final.outcome is Outcome.APPROVED_ONLINE:
        assert final.field55[0x9F27][0] & 0xC0 == 0x40  # the card's final cryptogram is a TC
    assert not any(keys.pan in line for line in final.trace)


def test_issuer_decline_gives_an_aac() -> None:
    kernel, keys = _kernel("pboc-sda")
    _, final = _online(kernel, keys, code="51")
    assert final.outcome is Outcome.DECLINED_ONLINE and not final.reversal_needed
    assert final.field55[0x9F27][0] & 0xC0 == 0x00


def test_unable_to_go_online_uses_default_action_codes() -> None:
    kernel, _ = _kernel("pboc-sda")
    first = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    assert first.outcome is Outcome.GO_ONLINE
    final = kernel.complete(None)
    # UnionPay TAC-default D84000A800 includes "floor limit exceeded": AAC, ARC Z3
    assert final.outcome is Outcome.DECLINED_OFFLINE
    assert final.receipt.get(0x8A) == b"Z3"


def test_wrong_arpc_fails_issuer_authentication() -> None:
    kernel, keys = _kernel("mc-dda")
    first = kernel.start(
        Transaction(amount_minor=50000, when=WHEN, sequence_counter=1)
    )  # over the floor limit
    assert first.outcome is Outcome.GO_ONLINE
    decision = authorise(keys, first.field55)
    assert decision.issuer_auth_data is not None
    bad = bytes([decision.issuer_auth_data[0] ^ 0xFF]) + decision.issuer_auth_data[1:]
    final = kernel.complete(HostReply(b"00", bad))
    assert final.tvr[4] & 0x40  # issuer authentication failed
    assert final.tsi[0] & 0x10  # issuer authentication performed


def test_tampered_arqc_is_refused_by_the_issuer() -> None:
    kernel, keys = _kernel("visa-cda")
    first = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    f55 = dict(first.field55)
    f55[0x9F02] = bytes.fromhex("000000099999")  # the amount changed on the way
    assert authorise(keys, f55).reason == "ARQC does not verify"


def test_wrong_offline_pin_until_blocked_falls_to_online_pin() -> None:
    kernel, keys = _kernel("pboc-sda", pin="0000")
    _, final = _online(kernel, keys)
    assert final.outcome is Outcome.APPROVED_ONLINE
    assert final.cvm_results.hex().upper() == "420300" and final.tvr[2] & 0x24 == 0x24


def test_card_removed_mid_transaction_terminates() -> None:
    card = load_card("visa-cda")
    count = 0

    def transmit(capdu: bytes) -> bytes:
        nonlocal count
        count += 1
        if count == 9:
            card.remove()
        return card.transmit(capdu)

    kernel = ContactKernel(PARAMS, CAPKS, transmit, _ScriptedCardholder("1234"), rng=random.Random(1))
    result = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    assert result.outcome is Outcome.TERMINATED and "card error" in result.reason
