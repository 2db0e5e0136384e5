"""Contact kernel: CPU time of one full transaction against a virtual card, and where it goes.

One transaction = application selection to completion with CDA, the online part answered in process by
the issuer (ARQC check, ARPC), second GENERATE AC: ``posemu emv run --card visa-cda`` without the printing.
The card is personalised once; each transaction uses a fresh card state. The median of many runs is the
figure; a cProfile pass attributes the time to RSA (modular exponentiation, both the kernel's recoveries
and the card's signatures), symmetric cryptography (DES/AES, MACs, key derivation), TLV, and the rest
(kernel logic and card emulation).
"""

from __future__ import annotations

import cProfile
import datetime as dt
import pstats
import statistics
import time
from collections.abc import Callable, Sequence

from emv.cards import load_card
from emv.kernel.capk import default_capks
from emv.kernel.context import Outcome, Transaction
from emv.kernel.kernel import ContactKernel
from emv.kernel.online import HostReply
from emv.kernel.params import default_params
from host.issuer import CardKeys, authorise

WHEN = dt.datetime(2026, 11, 26, 12, 0, 0)


class _Cardholder:
    def __init__(self, pin: str) -> None:
        self.pin = pin

    def choose_application(self, labels: Sequence[str]) -> int | None:
        return 0

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        return bytearray(self.pin.encode())

    def enter_online_pin(self) -> bool:
        return True


def make_transaction(profile: str) -> Callable[[], Outcome]:
    params, capks = default_params(), default_capks()

    def one() -> Outcome:
        card = load_card(profile)
        prof = card.image.profile
        kernel = ContactKernel(
            params, capks, card.transmit, _Cardholder(prof.pin), unpredictable=lambda: b"\x12\x34\x56\x78"
        )
        first = kernel.start(Transaction(amount_minor=2500, when=WHEN, sequence_counter=1))
        if first.outcome is not Outcome.GO_ONLINE:
            return first.outcome
        keys = CardKeys(prof.pan, prof.psn, prof.imk_ac, prof.cryptogram.version)
        decision = authorise(keys, first.field55)
        return kernel.complete(HostReply(decision.response_code.encode(), decision.issuer_auth_data)).outcome

    return one


_BUCKETS = (
    ("RSA", ("built-in method builtins.pow", "rsa.py")),
    (
        "symmetric crypto",
        ("cryptography", "emv/crypto/des.py", "emv/crypto/mac.py", "emv/crypto/kd.py", "emv/crypto/ac.py"),
    ),
    ("TLV", ("emv/tlv.py", "emv/dol.py")),
)


def _shares(fn: Callable[[], Outcome], runs: int) -> dict[str, float]:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(runs):
        fn()
    prof.disable()
    stats = pstats.Stats(prof)
    totals = {name: 0.0 for name, _ in _BUCKETS}
    rest = 0.0
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename} {func}"
        for name, keys in _BUCKETS:
            if any(k in where for k in keys):
                totals[name] += tottime
                break
        else:
            rest += tottime
    totals["kernel logic and card emulation"] = rest
    whole = sum(totals.values()) or 1.0
    return {k: v / whole for k, v in totals.items()}


def main(runs: int = 300) -> None:
    for profile in ("visa-cda", "pboc-sda", "mc-dda"):
        one = make_transaction(profile)
        outcome = one()
        for _ in range(20):
            one()
        times = []
        for _ in range(runs):
            start = time.process_time()
            one()
            times.append(time.process_time() - start)
        med = statistics.median(times)
        print(
            f"kernel {profile:9} outcome {outcome.name.lower():16} median {med * 1e3:6.2f} ms CPU "
            f"(min {min(times) * 1e3:.2f}, {runs} runs)"
        )
        if profile == "visa-cda":
            shares = _shares(one, 100)
            crypto = shares["RSA"] + shares["symmetric crypto"]
            print(
                "  share: "
                + ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
                + f"; cryptography {crypto:.0%}"
            )


if __name__ == "__main__":
    main()
