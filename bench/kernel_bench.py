"""Contact kernel: CPU time of one full transaction against a virtual card, and where it goes.

One transaction = application selection to completion with CDA, the online part answered in process by
the issuer (ARQC check, ARPC), second GENERATE AC: ``posemu emv run --card visa-cda`` without the printing.
The card is personalised once; each transaction uses a fresh card state. The median of many runs is the
figure; an instrumented pass times every call of the cryptographic primitives (RSA ``pow``: the kernel's
recoveries and the card's signatures; DES/TDES blocks: MACs, key derivation, cryptograms; SHA-1) and gives
their share of the whole; the rest is TLV, the kernel's own logic and the card emulation.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

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


class _Meter:
    """Times every call of the cryptographic primitives during a run, by wrapping them:
    ``pow`` (RSA: the kernel's recoveries, the card's signatures), DES/TDES blocks and SHA-1."""

    def __init__(self) -> None:
        self.spent = {"RSA": 0.0, "symmetric": 0.0, "SHA-1": 0.0}

    def _wrap(self, bucket: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        spent = self.spent

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[bucket] += time.perf_counter() - start

        return timed

    def run(self, fn: Callable[[], Outcome], runs: int) -> tuple[float, dict[str, float]]:
        """Total seconds of ``runs`` calls and the seconds spent in each primitive."""
        import builtins
        import hashlib

        from emv.crypto import des

        saved = (builtins.pow, des._run, hashlib.sha1)
        builtins.pow = self._wrap("RSA", pow)
        des._run = self._wrap("symmetric", des._run)
        hashlib.sha1 = self._wrap("SHA-1", hashlib.sha1)
        try:
            start = time.perf_counter()
            for _ in range(runs):
                fn()
            total = time.perf_counter() - start
        finally:
            builtins.pow, des._run, hashlib.sha1 = saved
        return total, dict(self.spent)


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
        total, spent = _Meter().run(one, 200)
        crypto = sum(spent.values())
        parts = ", ".join(f"{k} {v / total:.0%}" for k, v in spent.items())
        print(
            f"  cryptography {crypto / total:.0%} of the time ({parts}); the rest is TLV, kernel logic, card"
        )


if __name__ == "__main__":
    main()
