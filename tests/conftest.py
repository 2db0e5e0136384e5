"""Session-wide test set-up: one pcscd with posemu's vpcd readers, hardware options and the ``hw`` marker.

- ``pcscd`` (session fixture): starts ONE pcscd with a vpcd reader config in a temp folder for the whole
  run (slot 0 on TCP 40000, slot 1 on 40001) and stops it at the end. Tests that need it are skipped
  with the reason when pcscd, vsmartcard-vpcd or pyscard is missing, or another pcscd runs.
- ``--reader-url``, ``--printer-url``, ``--nfc-url``: physical devices for tests marked
  ``@pytest.mark.hw("reader" | "printer" | "nfc")``; such a test is skipped without its option.
- python-escpos may cache its capabilities in a session folder (RECIPES.md), unless the Makefile set one.
- hypothesis runs without a per-example deadline (profile ``posemu``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# no per-example deadline: a slow or busy CI machine must not fail a property test on time (performance is
# measured by `make bench`, never asserted in tests); tests that set their own settings keep them
settings.register_profile("posemu", deadline=None)
settings.load_profile("posemu")

HW_OPTIONS = {"reader": "--reader-url", "printer": "--printer-url", "nfc": "--nfc-url"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("posemu hardware")
    group.addoption("--reader-url", default=None, help="a physical contact reader, e.g. pcsc://0")
    group.addoption("--printer-url", default=None, help="a physical printer, e.g. escpos+usb://04b8:0202")
    group.addoption("--nfc-url", default=None, help="a physical contactless reader, e.g. nfc://usb")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("hw")
        if marker is None:
            continue
        kind = marker.args[0] if marker.args else "reader"
        option = HW_OPTIONS.get(kind, "--reader-url")
        if not config.getoption(option):
            item.add_marker(pytest.mark.skip(reason=f"hardware test: needs {option}"))


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR"):
        folder = Path(str(config.rootpath)) / ".cache" / "escpos"
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The one pcscd of the run (a :class:`drivers.bridges.pcscd.PcscdProcess`).

    Under CI (``CI`` set, as ``.ci/run`` runs) the real PC/SC stack is required: `make test` installed it,
    so a pcscd that cannot start fails the run instead of skipping the real-stack contract suites.
    """
    if os.environ.get("CI"):
        import smartcard  # noqa: F401  (a missing pyscard fails under CI)
    else:
        pytest.importorskip("smartcard", reason="pyscard (posemu[pcsc]) is not installed")
    from drivers.bridges.pcscd import PcscdProcess
    from drivers.errors import DeviceError

    proc = PcscdProcess(tmp_path_factory.mktemp("pcscd"))
    try:
        proc.start(timeout_s=15.0)
    except DeviceError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"no pcscd for the PC/SC tests under CI: {exc}")
        pytest.skip(f"no pcscd for the PC/SC tests: {exc}")
    yield proc
    proc.stop()
