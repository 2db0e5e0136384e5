"""The C-2 path's own rules on the Mastercard-like virtual card with rewritten answers: CDA failures, EMV
mode only, the CVM capabilities by the CVM required limit, on-device CVM, online PIN after removal
(EMV Contactless Book C-2)."""

from __future__ import annotations

import pytest

from emv import tlv
from emv.apdu import Command
from emv.kernel.contactless import Cvm
from emv.kernel.contactless.c2 import cvm_of
from emv.kernel.context import Outcome

from .clkit import make_tap
from .test_cl_qpboc import edit77, on, sw

GPO, READ, GENERATE_AC = 0xA8, 0xB2, 0xAE


def corrupt_sdad(cmd: Command, rapdu: bytes) -> bytes:
    found = tlv.parse(rapdu[:-2])
    sdad = found[0x9F4B]
    return edit77(rapdu, {0x9F4B: sdad[:-1] + bytes((sdad[-1] ^ 0x5A,))})


def test_cda_signature_failure_declines_without_a_second_generate_ac() -> None:
    tap = make_tap("c2", rewrite=on(GENERATE_AC, corrupt_sdad))
    result = tap.start(1000)
    assert (result.outcome, result.reason) == (Outcome.DECLINED_OFFLINE, "CDA failed")
    assert result.tvr.hex() == "0400000000"
    assert [c.ins for c in tap.commands].count(GENERATE_AC) == 1 and result.removable_after == 9


def test_icc_certificate_failure_before_generate_ac_goes_online_without_cda() -> None:
    def bad_cert(cmd: Command, rapdu: bytes) -> bytes:
        [top] = tlv.decode(rapdu[:-2]).top()
        items = [(c.tag, c.value[:-1] + b"\x00" if c.tag == 0x9F46 else c.value) for c in top.children()]
        return tlv.encode([(0x70, items)]) + rapdu[-2:]

    tap = make_tap("c2", rewrite=on(READ, bad_cert, 5))  # SFI 3 record 2: 9F46 9F47 9F48
    result = tap.start(1000)
    assert result.outcome is Outcome.GO_ONLINE  # TAC online FC50ACF800 holds "CDA failed"
    assert result.tvr.hex() == "0400000000"
    generate_ac = [c for c in tap.commands if c.ins == GENERATE_AC]
    assert [c.p1 for c in generate_ac] == [0x80]  # an ARQC, CDA not requested


def test_mag_stripe_mode_only_is_not_supported() -> None:
    result = make_tap("c2", rewrite=on(GPO, lambda c, r: edit77(r, {0x82: b"\x19\x00"}))).start(1000)
    assert result.outcome is Outcome.TERMINATED and "mag-stripe mode" in result.reason


def test_gpo_refused_selects_the_next_application() -> None:
    result = make_tap("c2", rewrite=on(GPO, sw(0x6985))).start(1000)
    assert (result.outcome, result.reason) == (
        Outcome.TERMINATED,
        "no contactless application the reader supports",
    )


def test_on_device_cvm_when_the_aip_offers_it() -> None:
    # AIP byte 1 b2: the ICC certificate covers the AIP (9F4A), so CDA fails too; the CVM is what counts
    tap = make_tap("c2", rewrite=on(GPO, lambda c, r: edit77(r, {0x82: b"\x1b\x80"})))
    result = tap.start(150000)
    assert (result.cvm, result.cvm_results.hex()) == (Cvm.CDCVM, "010002")
    assert "online PIN" not in tap.events


def test_capabilities_follow_the_cvm_required_limit() -> None:
    below, above = make_tap("c2").start(99999), make_tap("c2").start(100000)
    assert (below.field55[0x9F33].hex(), below.cvm) == ("e008c8", Cvm.NO_CVM)
    assert (above.field55[0x9F33].hex(), above.cvm) == ("e060c8", Cvm.ONLINE_PIN)


def test_online_pin_not_entered() -> None:
    tap = make_tap("c2", online_pin=False)
    result = tap.start(150000)
    assert (result.outcome, result.reason) == (Outcome.TERMINATED, "online PIN not entered")
    assert tap.events[-3:] == ["AE", "removable", "online PIN"]


@pytest.mark.parametrize(
    ("results", "cvm"),
    [("420300", Cvm.ONLINE_PIN), ("1E0300", Cvm.SIGNATURE), ("1F0302", Cvm.NO_CVM), ("3F0000", Cvm.NONE),
     ("5E0301", Cvm.NONE), ("030300", Cvm.NONE)],
)  # fmt: skip
def test_cvm_of(results: str, cvm: Cvm) -> None:
    assert cvm_of(bytes.fromhex(results)) is cvm


def test_cancel_at_the_online_pin_terminates_as_cancelled() -> None:
    """CANCEL at the PIN prompt: the tap ends TERMINATED with the CANCELLED kind, no other command sent."""
    from emv.kernel.context import CardholderCancelledError, Termination

    from .clkit import Cardholder

    class Cancelling(Cardholder):
        def enter_online_pin(self) -> bool:
            self.events.append("online PIN")
            raise CardholderCancelledError()

    tap = make_tap("c2")
    tap.kernel.ui = Cancelling(tap.events)
    result = tap.start(150000)
    assert result.outcome is Outcome.TERMINATED and result.termination is Termination.CANCELLED
    assert tap.events[-1] == "online PIN"
