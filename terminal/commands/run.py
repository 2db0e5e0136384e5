"""``posemu run``: boot the terminal on virtual devices and the built-in host, and play a scenario.

Without ``--scenario`` it plays the shipped demo (activation, login and sign-on, a sale by chip with CDA
and online PIN, a sale by QR, a void, the day-end settlement), printing every screen as the terminal shows
it and, at the end, the receipts the virtual printer printed. ``--lang zh_CN`` shows the Chinese screens.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", metavar="FILE", help="scenario to play (default: the shipped demo)")
    parser.add_argument("--lang", default="en", choices=("en", "zh_CN"), help="screen language")
    parser.add_argument("--quiet", action="store_true", help="do not print the screens")


def run(args: argparse.Namespace) -> int:
    from importlib import resources

    from config.load import load_toml
    from terminal.scenario import ScenarioRunner

    path = args.scenario or str(resources.files("terminal").joinpath("scenarios", "demo.toml"))
    runner = ScenarioRunner(load_toml(path), echo=not args.quiet)
    runner.display.language = args.lang
    try:
        result = runner.run()
        receipts = runner.printer_text()
    finally:
        runner.close()
    print("\n=== receipts printed by the virtual printer ===\n")
    print(receipts)
    print(f"\n{result['scenario']}: {'PASSED' if result['passed'] else 'FAILED'}")
    for step in result["steps"]:
        for failure in step["failures"]:
            print(f"  step {step['step']} ({step['action']}): {failure}")
    return 0 if result["passed"] else 1
