"""The doctests of the simulator and link modules (pytest's testpaths do not cover host/ and drivers/)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "drivers.host",
    "host.acquirer",
    "host.fastcodec",
    "host.faults",
    "host.ledger",
    "host.records",
    "host.requests",
    "host.runner",
    "host.scripts",
    "host.seed",
    "host.simulator",
    "host.store",
    "host.testcards",
    "host.wallet",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
