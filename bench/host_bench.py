"""Load generator for the host simulator: N terminal connections on 127.0.0.1 that sign on and then buy,
with real MACs and real ARQCs, paced or closed-loop (issue 5, "Figures"; the CUP POS profile of
DOMAIN_FACTS section A; ARQCs as EMV 4.4 Book 2 8.1 computes them).

The server runs in its own process (``multiprocessing``, spawn) on a fresh SQLite file (WAL,
``synchronous=FULL``: every approval is committed before its reply), so the generator and the server each
get a core. Each connection is one terminal with its own TMK: it signs on (0800, keys unwrapped and
checked against their check values), then sends 0200 purchases. Every request is built, MAC'd and
framed; every reply is decoded, matched by MTI and trace, its MAC verified and its response code and ARPC
(tag 91) checked. The ARQCs are computed in advance with the cards' issuer keys (:mod:`host.testcards`),
a pool per card, so the generator spends its time on the messages as a terminal would.

- **Paced**: each connection sends ``rate / connections`` requests a second on a fixed schedule, one in
  flight (a late reply delays the next send). Latency is measured from the *scheduled* send time, so a
  stalled server shows in the percentiles instead of hiding (no coordinated omission).
- **Closed loop**: each connection sends the next request as soon as the reply is checked; the rate is
  the maximum this machine reaches, and latency then only mirrors the number of connections.
- **Bare pyiso8583**: encode + decode of the same 0200 with pyiso8583 alone, on one core, for scale.

Bounded: at most 500 connections, 120 s and a million requests per phase; it stops by itself.
``python -m bench.host_bench --help`` lists the options; ``--profile`` writes the server's cProfile
statistics and prints the top.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emv import tlv
from emv.crypto import des
from host.fastcodec import frame_fast, unframe_fast
from host.fields import Field60
from host.framing import BODY_OFFSET, PREFIX_SIZE, frame, read_length
from host.keyblock import KeyBlock, unwrap_key
from host.mac import CupEcbMac
from host.protocol import Message
from host.requests import CardData, TerminalId, encipher_pin, purchase, sign_on
from host.testcards import TestCard

MID = "850100082410002"
PROFILES = ("visa-cda", "mc-dda", "pboc-sda")
POOL = 48  # precomputed ICC data blobs per card
MAX_CONNECTIONS = 500
MAX_SECONDS = 120.0
MAX_REQUESTS = 1_000_000  # a phase's requests, at most (traces are 6 digits per terminal)


def _tid(n: int) -> str:
    return f"2{n:07d}"


def _tmk(n: int) -> bytes:
    return des.adjust_parity(bytes.fromhex(f"{n:08X}") * 4)


# ---------------------------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------------------------


def prepare_store(db: Path, terminals: int) -> None:
    """A seeded store with ``terminals`` extra terminals and accounts that will not run dry."""
    from host.records import TerminalRecord
    from host.seed import load_host_config, seed_store
    from host.store import Store

    store = Store.open(db)
    seed_store(store, {**load_host_config(), "faults": []})
    for n in range(terminals):
        store.save_terminal(TerminalRecord(_tid(n), MID, _tmk(n), 1))
    for account in store.accounts.values():
        account.balance_fen, account.limit_fen = 10**13, 0
        store.save_account(account)
    for card in store.cards.values():
        card.pin_try_limit = 10**6
        store.save_card(card)
    store.commit_now()
    store.close()


def _serve(
    db: str, ready: Any, stop: Any, result: Any, profile_path: str | None, commit_thread: bool
) -> None:
    """Child process: run the simulator until ``stop`` is set; report its counters."""
    from host.simulator import Simulator, tune_process

    sim = Simulator.open(db, commit_thread=commit_thread, gc_freeze_s=1.0)
    tune_process()

    cpu_start = 0.0

    async def main() -> None:
        nonlocal cpu_start
        port = await sim.start("127.0.0.1", 0)
        cpu_start = time.process_time()
        ready.put(port)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, stop.wait)
        await sim.stop()

    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        asyncio.run(main())
    finally:
        if profiler is not None and profile_path:
            profiler.disable()
            profiler.dump_stats(profile_path)
        result.put(
            {
                "commits": sim.store.commits,
                "cpu_s": time.process_time() - cpu_start,
                "commit_cpu_s": sim.store.commit_cpu_s,
                **sim.stats,
            }
        )
        sim.store.close()


# ---------------------------------------------------------------------------------------------------------
# The generator: one terminal per connection
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    approved: int = 0
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    cpu_s: float = 0.0
    limit: int = 1_000_000  # requests in a phase at most

    def fail(self, why: str) -> None:
        self.failed += 1
        self.reasons[why] = self.reasons.get(why, 0) + 1


class BenchTerminal:
    """One connection: sign on, then purchases built, MAC'd and checked like a terminal's."""

    def __init__(self, n: int, cards: list[tuple[TestCard, list[tuple[int, bytes]]]]) -> None:
        self.ident = TerminalId(_tid(n), MID)
        self.tmk = _tmk(n)
        self.cards = cards
        self.trace = 0
        self.next = n
        self.mak = b""
        self.macer = CupEcbMac(bytes(8))  # replaced by the session MAK at sign-on
        self.batch = 0
        self.pin_blocks: dict[str, bytes] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)

    async def _roundtrip(self, wire: bytes) -> bytes:
        if self.reader is None or self.writer is None:
            raise RuntimeError("not connected")
        self.writer.write(wire)
        prefix = await self.reader.readexactly(PREFIX_SIZE)
        return prefix + await self.reader.readexactly(read_length(prefix))

    async def sign_on(self) -> None:
        self.trace += 1
        reply = unframe_fast(await self._roundtrip(frame_fast(sign_on(self.ident, self.trace))))
        block, f60 = reply[62], reply[60]
        if reply[39] != "00" or not isinstance(block, bytes) or not isinstance(f60, str):
            raise RuntimeError(f"sign-on of {self.ident.tid} answered {reply.get(39)!r}")
        keys = KeyBlock.from_field(block)
        pik, self.mak = unwrap_key(self.tmk, keys.pik), unwrap_key(self.tmk, keys.mak)
        self.macer = CupEcbMac(self.mak)
        self.batch = Field60.from_field(f60).batch
        self.pin_blocks = {c.name: encipher_pin(pik, c.pin, c.pan) for c, _ in self.cards}

    def build(self) -> tuple[bytes, str]:
        """The next purchase, framed with its MAC; and its trace."""
        self.trace = self.trace % 999_999 + 1
        card, pool = self.cards[self.next % len(self.cards)]
        amount, icc = pool[(self.next // len(self.cards)) % len(pool)]
        self.next += 1
        pin = self.pin_blocks[card.name] if card.name == "pboc-sda" else None
        data = CardData(card.pan, None, card.expiry, card.psn, icc, pin, "051" if pin else "052")
        wire = bytearray(frame_fast(purchase(self.ident, self.trace, self.batch, amount, data)))
        wire[BODY_OFFSET + 9] |= 0x01  # field 64, the last: bit set, MAC over the body appended
        wire += self.macer.mac(bytes(wire[BODY_OFFSET:]))
        wire[:PREFIX_SIZE] = (len(wire) - PREFIX_SIZE).to_bytes(PREFIX_SIZE, "big")
        return bytes(wire), f"{self.trace:06d}"

    def check(self, raw: bytes, trace: str) -> str | None:
        """None for a verified approval, else why not."""
        reply: Message = unframe_fast(raw)
        if reply.mti != "0210" or reply.get(11) != trace:
            return "unmatched reply"
        if reply.get(64) != self.macer.mac(raw[BODY_OFFSET:-8]):
            return "reply MAC"
        if reply.get(39) != "00":
            return f"response {reply.get(39)!s}"
        f55 = reply.get(55)
        if not isinstance(f55, bytes) or 0x91 not in tlv.parse(f55):
            return "no ARPC"
        return None

    async def run(self, start: float, until: float, interval: float | None, tally: Tally) -> None:
        """Send until ``until``: every ``interval`` from ``start`` (paced), or back to back (closed loop)."""
        loop = asyncio.get_running_loop()
        due = start - (interval or 0.0)
        while True:
            if interval is not None:
                due += interval
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                sent_at = due
            else:
                sent_at = loop.time()
            if sent_at >= until or tally.approved + tally.failed >= tally.limit:
                return
            wire, trace = self.build()
            raw = await self._roundtrip(wire)
            why = self.check(raw, trace)
            tally.latencies.append(loop.time() - sent_at)
            if why is None:
                tally.approved += 1
            else:
                tally.fail(why)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass


def precompute(pool: int = POOL) -> list[tuple[TestCard, list[tuple[int, bytes]]]]:
    """ICC data with real ARQCs, ``pool`` per card, amounts 1.00 to 9.99 CNY."""
    out = []
    for name in PROFILES:
        card = TestCard.from_profile(name)
        items = []
        for i in range(pool):
            amount = 100 + (i * 37) % 900
            items.append((amount, card.icc(amount, atc=0x0200 + i, un=os.urandom(4))))
        out.append((card, items))
    return out


async def _phase(
    port: int, connections: int, seconds: float, rate: float | None, first_trace: int, limit: int
) -> tuple[Tally, float]:
    cards = precompute()
    terms = [BenchTerminal(n, cards) for n in range(connections)]
    for t in terms:
        t.trace = first_trace  # a new phase does not repeat the last one's traces (94 duplicates)
    await asyncio.gather(*(t.connect(port) for t in terms))
    await asyncio.gather(*(t.sign_on() for t in terms))
    tally = Tally(limit=limit)
    loop = asyncio.get_running_loop()
    interval = connections / rate if rate else None
    started, cpu = loop.time(), time.process_time()
    # paced terminals are spread evenly over one interval, as real ones are not in step
    phase = (interval or 0.0) / connections
    await asyncio.gather(
        *(t.run(started + n * phase, started + seconds, interval, tally) for n, t in enumerate(terms))
    )
    elapsed = loop.time() - started
    tally.cpu_s = time.process_time() - cpu
    await asyncio.gather(*(t.close() for t in terms))
    return tally, elapsed


def _report(label: str, tally: Tally, elapsed: float) -> None:
    lat = sorted(tally.latencies)
    if not lat:
        print(f"{label}: no requests completed")
        return

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3

    print(
        f"{label}: {tally.approved / elapsed:8.0f} auth/s  p50 {pct(0.50):6.2f} ms  p99 {pct(0.99):6.2f} ms  "
        f"max {lat[-1] * 1e3:7.2f} ms  ({tally.approved} approved, {tally.failed} failed in {elapsed:.1f} s; "
        f"generator CPU {tally.cpu_s / elapsed:.0%})"
    )
    if tally.reasons:
        print(f"  failures: {tally.reasons}")


def bare_pyiso8583(seconds: float = 1.0) -> float:
    """pyiso8583 encode + decode of one 0200 (the profile's spec), messages a second on one core."""
    import iso8583

    from host.profile import SPEC

    card, pool = precompute(1)[0]
    msg = purchase(
        TerminalId("10000019", MID),
        1,
        1,
        pool[0][0],
        CardData(card.pan, None, card.expiry, card.psn, pool[0][1]),
    )
    body = frame(msg.with_fields({64: bytes(8)}))[BODY_OFFSET:]
    doc, _ = iso8583.decode(body, SPEC)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            encoded, _ = iso8583.encode(dict(doc), SPEC)
            iso8583.decode(bytes(encoded), SPEC)
        n += 200
    return n / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.host_bench", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--connections", type=int, default=100, help="terminal connections (default 100)")
    parser.add_argument("--rate", type=float, default=3150.0, help="paced total requests/s (default 3150)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (default 10)")
    parser.add_argument("--skip-paced", action="store_true", help="closed loop only")
    parser.add_argument("--skip-closed", action="store_true", help="paced only")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the server into FILE, print the top 25")
    parser.add_argument("--commit-thread", action="store_true", help="the server commits on a writer thread")
    parser.add_argument(
        "--max-requests", type=int, default=300_000, help="per phase, at most (default 300000)"
    )
    args = parser.parse_args(list(argv) if argv is not None else [])
    connections = max(1, min(args.connections, MAX_CONNECTIONS))
    seconds = max(0.5, min(args.seconds, MAX_SECONDS))
    limit = max(1, min(args.max_requests, MAX_REQUESTS))
    print(
        f"host bench: {connections} connections, {seconds:g} s a phase, {os.cpu_count()} CPUs, server process"
    )
    with tempfile.TemporaryDirectory(prefix="posemu-host-bench-") as tmp:
        db = Path(tmp) / "host.db"
        prepare_store(db, connections)
        ctx = mp.get_context("spawn")
        ready, result, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        server = ctx.Process(
            target=_serve, args=(str(db), ready, stop, result, args.profile, args.commit_thread), daemon=True
        )
        server.start()
        try:
            port = ready.get(timeout=60)
            phases = []
            if not args.skip_paced:
                phases.append((f"paced {args.rate:g}/s", args.rate))
            if not args.skip_closed:
                phases.append(("closed loop", None))
            for i, (label, rate) in enumerate(phases):
                tally, elapsed = asyncio.run(_phase(port, connections, seconds, rate, 400_000 * i, limit))
                _report(label, tally, elapsed)
        finally:
            stop.set()
            server.join(30)
            if server.is_alive():
                server.terminate()
        stats = result.get(timeout=5) if not result.empty() else {}
    if stats:
        replies, commits = stats.get("replies", 0), stats.get("commits", 0)
        cpu_us = stats.get("cpu_s", 0.0) * 1e6 / max(1, replies)
        commit_us = stats.get("commit_cpu_s", 0.0) * 1e6 / max(1, replies)
        print(
            f"server: {replies} replies, {commits} commits ({replies / max(1, commits):.1f} a commit), "
            f"CPU {cpu_us:.0f} us a reply ({commit_us:.0f} of them committing)"
        )
    print(f"bare pyiso8583 encode+decode: {bare_pyiso8583():8.0f} messages/s (one core)")
    if args.profile:
        import pstats

        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
