"""Every contactless profile and fault profile tapped through the Entry Point and its kernel, with the
in-process issuer for online taps: outcomes, TVR, TSI, CVM results byte by byte, and when the card could
be removed (EMV Contactless Books A, B, C-2, C-3; JR/T 0025.12)."""

from __future__ import annotations

import logging

import pytest

from emv.cards.contactless import list_contactless_profiles
from emv.kernel.contactless import Cvm
from emv.kernel.context import Outcome

from .clkit import make_tap, run_online

AOFF, AON, ONL, TAI, END = (
    "APPROVED_OFFLINE",
    "APPROVED_ONLINE",
    "GO_ONLINE",
    "TRY_ANOTHER_INTERFACE",
    "TERMINATED",
)

# Reader limits (config/defaults/terminal.toml): transaction 500000, floor 30000, CVM required 100000 fen.
# profile, amount, tap outcome, final outcome, TVR, TSI, CVM results, CVM, card commands (removable after)
EXPECTED = [
    ("qpboc-debit", 1000, AOFF, AOFF, "0000000000", "8000", "1F0002", "no CVM", 6),
    ("qpboc-debit", 50000, ONL, AON, "8000000000", "0000", "1F0002", "no CVM", 6),
    ("qpboc-debit", 150000, ONL, AON, "8000040000", "4000", "020000", "online PIN", 6),
    # amount over the contactless transaction limit: try another interface, no card command at all
    ("qpboc-debit", 500000, TAI, TAI, "0000000000", "0000", "3F0000", "none", 0),
    # fDDA fails (corrupted 9F4B); the card's CTQ asks to go online then: its TC is sent online
    ("qpboc-bad-fdda", 1000, ONL, AON, "0800000000", "8000", "1F0002", "no CVM", 6),
    # the card asks for online: ARQC whatever the amount, CTQ online PIN required
    ("qpboc-online", 1000, ONL, AON, "8000040000", "4000", "020000", "online PIN", 6),
    ("qvsdc", 1000, AOFF, AOFF, "0000000000", "8000", "1F0002", "no CVM", 6),
    ("qvsdc", 150000, ONL, AON, "8000000000", "4000", "1E0000", "signature", 6),
    ("qvsdc-cdcvm", 1000, AOFF, AOFF, "0000000000", "8000", "1F0002", "no CVM", 6),
    # the phone says "see phone" (6986): try again, nothing read but the PPSE, the FCI and the refusal
    ("qvsdc-cdcvm", 150000, END, END, "0000000000", "0000", "3F0000", "none", 3),
    ("c2", 1000, AOFF, AOFF, "0000000000", "E800", "1F0302", "no CVM", 9),
    ("c2", 50000, ONL, AON, "0000008000", "E800", "1F0302", "no CVM", 9),
    ("c2", 150000, ONL, AON, "0000048000", "E800", "420300", "online PIN", 9),
]  # fmt: skip


def test_every_contactless_profile_is_covered() -> None:
    assert sorted({row[0] for row in EXPECTED}) == list_contactless_profiles()


@pytest.mark.parametrize(("profile", "amount", "first", "final", "tvr", "tsi", "cvm", "name", "n"), EXPECTED)
def test_profile(
    caplog: pytest.LogCaptureFixture,
    profile: str,
    amount: int,
    first: str,
    final: str,
    tvr: str,
    tsi: str,
    cvm: str,
    name: str,
    n: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    tap = make_tap(profile)
    got_first, got_final = run_online(tap, amount)
    assert got_first.outcome.name == first, got_first.reason
    assert got_final.outcome.name == final, got_final.reason
    assert (
        got_final.tvr.hex().upper(),
        got_final.tsi.hex().upper(),
        got_final.cvm_results.hex().upper(),
    ) == (
        tvr,
        tsi,
        cvm,
    )
    assert got_final.cvm.value == name
    assert got_final.card_removable and got_final.removable_after == n == len(got_final.trace)
    pan = tap.card.image.profile.pan
    assert not any(pan in line for line in got_final.trace) and pan not in repr(got_final)
    assert pan not in caplog.text and pan[-8:] not in caplog.text  # logs: headers, SWs, decisions only
    assert ("card read" in caplog.text) == (n >= 6)
    if got_first.outcome is Outcome.GO_ONLINE:
        assert "removable" in tap.events  # said before the online request
        assert got_final.field55[0x9F26] and got_final.receipt[0x8A] == b"00"


@pytest.mark.parametrize("profile", ["qpboc-debit", "qvsdc"])
def test_field_55_carries_the_tvr_the_card_signed(profile: str) -> None:
    tap = make_tap(profile)
    first = tap.start(50000)
    assert first.tvr.hex().upper() == "8000000000"  # the reader's verdict: ODA not performed
    assert first.field55[0x95] == bytes(5)  # the TVR of the GPO, which the ARQC covers
    assert first.field55[0x9F27] == b"\x80" and first.kernel in ("qPBOC", "qVSDC")
    tap.online(first)  # the issuer verifies the ARQC over that data


def test_removal_is_signalled_once_after_the_last_read_and_before_the_online_pin() -> None:
    tap = make_tap("qpboc-debit")
    result = tap.start(150000)
    assert tap.events == ["A4", "A4", "A8", "B2", "B2", "B2", "removable", "online PIN"]
    assert result.outcome is Outcome.GO_ONLINE and result.online_pin
    assert result.ui_message == "Authorising, please wait"


def test_c2_online_pin_is_entered_after_the_generate_ac() -> None:
    tap = make_tap("c2")
    result = tap.start(150000)
    assert tap.events[-4:] == ["B2", "AE", "removable", "online PIN"]
    assert result.outcome is Outcome.GO_ONLINE and result.cvm is Cvm.ONLINE_PIN
    assert result.field55[0x9F33] == bytes.fromhex("E060C8")  # 9F33 byte 2: the CVM Required capability


def test_see_phone_then_tap_again_with_cdcvm() -> None:
    tap = make_tap("qvsdc-cdcvm")
    first = tap.start(150000)
    assert first.restart and first.ui_message == "See phone for instructions"
    assert "removable" not in tap.events
    tap.card.verify_on_device()
    second = tap.start(150000)
    assert (second.outcome, second.cvm, second.cvm_results.hex()) == (Outcome.GO_ONLINE, Cvm.CDCVM, "010002")
    assert not second.restart
    assert tap.online(second).outcome is Outcome.APPROVED_ONLINE


def test_issuer_decline_and_no_answer() -> None:
    tap = make_tap("qpboc-debit")
    first = tap.start(50000)
    declined = tap.online(first, code="51")
    assert (declined.outcome, declined.receipt[0x8A]) == (Outcome.DECLINED_ONLINE, b"51")
    tap = make_tap("qpboc-debit")
    tap.start(50000)
    unreachable = tap.kernel.complete(None)
    assert (unreachable.outcome, unreachable.receipt[0x8A]) == (Outcome.DECLINED_OFFLINE, b"Z3")


def test_signature_receipt_message() -> None:
    tap = make_tap("qvsdc")
    _, final = run_online(tap, 150000)
    assert final.signature_required and final.ui_message == "Approved, please sign"
