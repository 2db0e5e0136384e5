"""``posemu scenario FILE [--json] [--echo]``: run a scripted scenario headless (format: terminal.scenario).

Prints a summary (or the JSON result) and exits 0 only if every expectation held, 1 otherwise.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="scenario TOML file")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    parser.add_argument("--echo", action="store_true", help="print every screen as it is shown")


def run(args: argparse.Namespace) -> int:
    from terminal.scenario import result_json, run_scenario

    result = run_scenario(args.file, echo=args.echo)
    if args.json:
        print(result_json(result))
    else:
        print(f"{result['scenario']}: {'PASSED' if result['passed'] else 'FAILED'}")
        for step in result["steps"]:
            for failure in step["failures"]:
                print(f"  step {step['step']} ({step['action']}): {failure}")
    return 0 if result["passed"] else 1
