"""``posemu run``: boot the terminal.

At this stage of the firmware the terminal's flows are not built yet (issues for the kernel, host, drivers
and terminal follow); ``run`` shows what the data core does on real card data: it decodes the shipped sample
responses (a PPSE directory, a qPBOC SELECT response, the field 55 of a real CUP 0200, a record with track 2
data) with tag names, sensitive values masked.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reveal", action="store_true", help="show sensitive values in clear")


def run(args: argparse.Namespace) -> int:
    from config.load import load_default
    from terminal.commands.tlv import render_text

    samples = load_default("emv_samples.toml")["sample"]
    print(f"posemu: decoding {len(samples)} shipped samples of real EMV card data\n")
    for sample in samples:
        data = bytes.fromhex("".join(sample["hex"].split()))
        print(f"== {sample['name']} ({len(data)} bytes)")
        print("\n".join(render_text(data, args.reveal)))
        print()
    return 0
