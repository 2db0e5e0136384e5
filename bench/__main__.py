"""Run every benchmark in turn (``make bench``); ``python -m bench tlv`` runs one."""

from __future__ import annotations

import importlib
import sys

# module bench.<name>_bench, each with main()
BENCHES = ("tlv", "kernel", "contactless", "qr", "drivers", "host", "terminal")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    sys.argv = sys.argv[:1]  # each benchmark runs with its defaults (some parse the command line)
    for name in names:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        importlib.import_module(f"bench.{name}_bench").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
