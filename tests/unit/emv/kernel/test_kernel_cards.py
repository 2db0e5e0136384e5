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


@pytest.mark.parametrize(
    ("profile", "termination"),
    [("app-blocked", "APP_BLOCKED"), ("genac-6985", "CARD_STATUS")],
)
def test_terminations_are_typed(profile: str, termination: str) -> None:
    kernel, keys = _kernel(profile)
    _, final = _online(kernel, keys)
    assert final.termination is not None and final.termination.name == termination


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


def _script(
    keys_profile: str, atc: bytes, arqc: bytes, cla: int, ins: int, p1: int, p2: int, data: bytes
) -> bytes:
    from emv.cards import load_profile
    from emv.cards.sm import build_script_command, derive_icc_mk, derive_sm_key, script_ac

    p = load_profile(keys_profile)
    ac = script_ac(p.cryptogram, arqc, 0)
    sk = derive_sm_key(p.cryptogram, derive_icc_mk(p.cryptogram, p.imk_smi, p.pan, p.psn), atc, ac)
    return build_script_command(cla, ins, p1, p2, data, sk_smi=sk, atc=atc, ac=ac)


def test_issuer_scripts_before_and_after_the_final_generate_ac() -> None:
    from emv import tlv

    kernel, keys = _kernel("visa-cda")
    first = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    atc, arqc = first.field55[0x9F36], first.field55[0x9F26]
    put_data = _script("visa-cda", atc, arqc, 0x04, 0xDA, 0x9F, 0x14, b"\x05")  # lower offline limit = 5
    bad_mac = bytearray(_script("visa-cda", atc, arqc, 0x84, 0x1E, 0x00, 0x00, b""))
    bad_mac[-1] ^= 0x01
    scripts = tlv.encode(
        [
            (0x71, [(0x9F18, b"\x00\x00\x00\x01"), (0x86, put_data)]),
            (0x72, [(0x9F18, b"\x00\x00\x00\x02"), (0x86, bytes(bad_mac))]),
        ]
    )
    decision = authorise(keys, first.field55)
    final = kernel.complete(HostReply(b"00", decision.issuer_auth_data, scripts))
    assert final.outcome is Outcome.APPROVED_ONLINE
    # script 1 performed, script 2 failed at its first command; DF31 goes back to the host in field 55
    assert final.script_results.hex().upper() == "20000000011100000002"
    assert final.field55[0xDF31] == final.script_results
    assert final.tvr[4] & 0x30 == 0x10  # failed after the final GENERATE AC only
    assert final.tsi[0] & 0x04  # script processing performed


def test_application_block_script_makes_the_card_decline() -> None:
    from emv import tlv

    kernel, keys = _kernel("visa-cda")
    first = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    block = _script("visa-cda", first.field55[0x9F36], first.field55[0x9F26], 0x84, 0x1E, 0x00, 0x00, b"")
    scripts = tlv.encode([(0x71, [(0x86, block)])])
    decision = authorise(keys, first.field55)
    final = kernel.complete(HostReply(b"00", decision.issuer_auth_data, scripts))
    assert final.script_results.hex().upper() == "2000000000"
    assert final.outcome is Outcome.DECLINED_ONLINE and final.reversal_needed  # host approved, card declined


def _custom_card(base: str, **risk: str) -> tuple[ContactKernel, CardKeys]:
    """A variant of a shipped profile (same keys), personalised in the test."""
    from emv.cards.card import VirtualCard
    from emv.cards.personalise import personalise
    from emv.cards.profile import load_profile_data, parse_profile

    data = load_profile_data(base)
    data["risk"] = {**data["risk"], **risk}
    prof = parse_profile(f"{base}-variant", data)
    card = VirtualCard(personalise(prof))
    ui = _ScriptedCardholder(prof.pin)
    kernel = ContactKernel(
        PARAMS, CAPKS, card.transmit, ui, unpredictable=lambda: b"\x11\x22\x33\x44", rng=random.Random(7)
    )
    return kernel, CardKeys(prof.pan, prof.psn, prof.imk_ac, prof.cryptogram.version)


def test_offline_enciphered_pin_with_the_icc_key() -> None:
    kernel, keys = _custom_card("visa-cda", cvm_list="00000000 00000000 0403 1F00")
    first, final = _online(kernel, keys)
    assert first.cvm_results.hex().upper() == "040302"  # enciphered PIN verified by the card
    assert final.outcome is Outcome.APPROVED_OFFLINE  # under the floor limit, nothing in the TVR: a TC
    assert any(line.startswith("00 20 00 88") and line.endswith("9000") for line in final.trace)
    assert any(line.startswith("00 84 00 00") for line in final.trace)  # GET CHALLENGE


def test_cvm_conditions_on_amounts_x_and_y() -> None:
    # X = 20.00 CNY (the card's currency 156): signature under X, online PIN over it (conditions 06, 07;
    # Book 3 Annex C3). Amounts are binary in minor units of the application currency.
    kernel, keys = _custom_card("pboc-sda", cvm_list="000007D0 00000000 1E06 0207")
    small, _ = _online(kernel, keys, amount=1000)
    assert small.cvm_results.hex().upper() == "1E0600" and small.signature_required
    kernel, keys = _custom_card("pboc-sda", cvm_list="000007D0 00000000 1E06 0207")
    large, _ = _online(kernel, keys, amount=5000)
    assert large.cvm_results.hex().upper() == "020700" and large.online_pin
    # a card in another currency: the amount conditions do not apply, no rule does (3F0001)
    kernel, keys = _custom_card("visa-cda", cvm_list="000007D0 00000000 1E06 0207")
    other, _ = _online(kernel, keys, amount=1000)
    assert other.cvm_results.hex().upper() == "3F0001" and other.tvr[2] & 0x80


def test_floor_limit_counts_the_transaction_log() -> None:
    """Book 3 10.6.1: amount + logged amounts for the same PAN against the floor limit (Mastercard 100.00)."""
    seen: list[bytes] = []

    def log_amount(pan: bytes) -> int:
        seen.append(pan)
        return 5000

    card = load_card("mc-dda")
    prof = card.image.profile
    kernel = ContactKernel(PARAMS, CAPKS, card.transmit, _ScriptedCardholder(prof.pin),
                           rng=random.Random(7), recent_amount=log_amount)  # fmt: skip
    result = kernel.start(Transaction(amount_minor=6000, when=WHEN, sequence_counter=1))
    assert result.tvr[3] & 0x80  # 60.00 + 50.00 logged >= 100.00: floor limit exceeded
    assert result.outcome is Outcome.GO_ONLINE
    assert seen == [bytes.fromhex(prof.pan)]
    kernel, _ = _kernel("mc-dda")
    alone = kernel.start(Transaction(amount_minor=6000, when=WHEN, sequence_counter=1))
    assert not alone.tvr[3] & 0x80


@pytest.mark.parametrize(
    ("tag", "value"),
    [(0x82, b""), (0x8F, b""), (0x9F14, b""), (0x8C, bytes.fromhex("9F0281C8"))],
)
def test_odd_card_data_terminates_instead_of_raising(tag: int, value: bytes) -> None:
    """An empty AIP in GPO format 2, an empty CA index, an empty offline limit, a CDOL over 255 bytes."""
    from emv import tlv
    from emv.apdu import Command

    card = load_card("visa-cda" if tag != 0x9F14 else "pboc-sda")

    def transmit(capdu: bytes) -> bytes:
        rapdu = card.transmit(capdu)
        c = Command.parse(capdu)
        if c.ins not in (0xB2, 0xA8) or not rapdu.endswith(b"\x90\x00"):
            return rapdu
        d = tlv.decode(rapdu[:-2])
        tree = tlv.as_tree(d)

        def patch(items: tlv.Tree) -> tlv.Tree:
            return [(t, patch(v) if isinstance(v, list) else (value if t == tag else v)) for t, v in items]

        if c.ins == 0xA8 and tag == 0x82:
            return tlv.encode([(0x77, [(0x82, b""), (0x94, bytes.fromhex("08010100"))])]) + b"\x90\x00"
        return tlv.encode(patch(tree)) + b"\x90\x00"

    kernel = ContactKernel(
        PARAMS, CAPKS, transmit, _ScriptedCardholder(card.image.profile.pin), rng=random.Random(7)
    )
    result = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    assert isinstance(result.outcome, Outcome)


def test_amount_out_of_range_terminates() -> None:
    kernel, _ = _kernel("visa-cda")
    assert (
        kernel.start(Transaction(amount_minor=2**32, when=WHEN, sequence_counter=1)).outcome
        is Outcome.TERMINATED
    )


def test_offline_enciphered_pin_without_dda_or_cda() -> None:
    """A card with an ICC key whose AIP offers neither DDA nor CDA: no ODA recovered the key, so the kernel
    recovers it for the PIN through the issuer key (Book 2 7.1); an SDA-only card without one fails it."""
    from emv.cards.card import VirtualCard
    from emv.cards.personalise import personalise
    from emv.cards.profile import load_profile_data, parse_profile

    data = load_profile_data("visa-cda")
    data["application"] = {**data["application"], "aip": "1800"}  # CV, TRM: no ODA at all
    data["risk"] = {**data["risk"], "cvm_list": "00000000 00000000 0403 1F00"}
    prof = parse_profile("visa-no-oda", data)
    card = VirtualCard(personalise(prof))
    kernel = ContactKernel(PARAMS, CAPKS, card.transmit, _ScriptedCardholder(prof.pin), rng=random.Random(7))
    first = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    assert first.tvr[0] & 0x80  # ODA not performed
    assert first.cvm_results.hex().upper() == "040302"
    kernel, keys = _custom_card("pboc-sda", cvm_list="00000000 00000000 0403 1F00")
    sda, _ = _online(kernel, keys)
    assert sda.cvm_results.hex().upper() == "040301"  # no ICC key on this card: the CVM fails
