"""TLV decode throughput: emv.tlv against the Python peers pyemv and ber-tlv, on one corpus, one run.

Rounds are interleaved (each round times every decoder once over the whole corpus), and the median round
gives MB/s and objects/s. Correctness compares each decoder's output, turned into the plain tree form, with
the tree each sample was built from: pyemv keeps one value per tag in a dict, so it loses repeated
templates (a directory's several 61 entries, several 71/72 scripts) and misreads 00 padding.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.corpus import Sample, build_corpus, count_objects
from emv import tlv
from emv.tlv import Tree

Decoder = Callable[[bytes], Any]


def _from_pyemv(out: Any) -> Tree:
    return [(int(k, 16), v if isinstance(v, bytes) else _from_pyemv(v)) for k, v in out.items()]


def _from_bertlv(out: Any) -> Tree:
    return [(t, v if isinstance(v, bytes) else _from_bertlv(v)) for t, v in out]


def _peers() -> list[tuple[str, Decoder, Callable[[Any], Tree]]]:
    peers: list[tuple[str, Decoder, Callable[[Any], Tree]]] = [("emv.tlv", tlv.decode, tlv.as_tree)]
    try:
        from pyemv import tlv as pyemv_tlv

        peers.append(("pyemv", pyemv_tlv.decode, _from_pyemv))
    except ImportError:
        print("pyemv not installed: skipped (pip install pyemv)")
    try:
        from ber_tlv.tlv import Tlv as BerTlv

        peers.append(("ber-tlv", lambda d: BerTlv.parse(d, True), _from_bertlv))
    except ImportError:
        print("ber-tlv not installed: skipped (pip install ber-tlv)")
    return peers


def _correct(samples: list[Sample], decode: Decoder, to_tree: Callable[[Any], Tree]) -> int:
    good = 0
    for s in samples:
        try:
            good += to_tree(decode(s.data)) == s.tree
        except Exception:  # a peer's own error type: counts as incorrect
            pass
    return good


def _time_round(samples: list[bytes], decode: Decoder, reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        for data in samples:
            try:
                decode(data)
            except Exception:
                pass
    return time.perf_counter() - start


def main(rounds: int = 15, reps: int = 20) -> None:
    samples = build_corpus()
    buffers = [s.data for s in samples]
    total_bytes = sum(map(len, buffers)) * reps
    total_objects = sum(count_objects(s.tree) for s in samples) * reps
    peers = _peers()
    times: dict[str, list[float]] = {name: [] for name, _, _ in peers}
    for _ in range(rounds):
        for name, decode, _ in peers:
            times[name].append(_time_round(buffers, decode, reps))
    kinds = sorted({s.kind for s in samples})
    print(
        f"TLV decode: {len(samples)} samples ({', '.join(kinds)}), {total_bytes // reps} bytes, "
        f"{total_objects // reps} objects; median of {rounds} interleaved rounds x {reps} passes"
    )
    print(f"{'decoder':10} {'MB/s':>8} {'Mobj/s':>8} {'vs pyemv':>9} {'correct':>12}")
    base = statistics.median(times["pyemv"]) if "pyemv" in times else None
    for name, decode, to_tree in peers:
        med = statistics.median(times[name])
        ratio = f"{base / med:8.2f}x" if base else "      n/a"
        good = _correct(samples, decode, to_tree)
        print(
            f"{name:10} {total_bytes / med / 1e6:8.1f} {total_objects / med / 1e6:8.2f} {ratio} "
            f"{good:5}/{len(samples)} {100 * good / len(samples):3.0f}%"
        )


if __name__ == "__main__":
    main()
