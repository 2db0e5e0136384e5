"""Run one pcscd with posemu's vpcd reader config, for tests, the bench and HIL rigs (RECIPES.md).

pcscd has one fixed socket per machine (``/run/pcscd/pcscd.comm``), so only one can run. The reader
config declares one vsmartcard vpcd reader with ``CHANNELID`` = the base port: vpcd then listens on
``base`` (slot 0, reader ``"posemu vpcd 00 00"``) and ``base + 1`` (slot 1, ``"posemu vpcd 00 01"``).
vpcd binds 0.0.0.0; the bridges connect on 127.0.0.1 only.

``--auto-exit`` is not used (it quits after 60 s idle). Start-up is bounded: :meth:`PcscdProcess.start`
waits until pcscd lists the vpcd readers, at most ``timeout_s``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from drivers.errors import DeviceNotFound, DriverUnavailable

__all__ = ["READER_NAME", "PcscdProcess", "running_pcscd_pid"]

log = logging.getLogger(__name__)

READER_NAME = "posemu vpcd"
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
PID_FILE = Path("/run/pcscd/pcscd.pid")


def running_pcscd_pid() -> int | None:
    """The pid of a live pcscd on this machine, if any (from its pid file)."""
    try:
        pid = int(PID_FILE.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def slot_reader_name(slot: int) -> str:
    """The reader name pcscd gives vpcd slot ``slot``.

    >>> slot_reader_name(1)
    'posemu vpcd 00 01'
    """
    return f"{READER_NAME} 00 {slot:02d}"


class PcscdProcess:
    """A pcscd child process with a vpcd reader on ``base_port`` and ``base_port + 1``."""

    def __init__(self, workdir: Path, base_port: int = 40000) -> None:
        self.workdir = Path(workdir)
        self.base_port = base_port
        self.config = self.workdir / "reader.conf"
        self.log_path = self.workdir / "pcscd.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout_s: float = 10.0) -> None:
        """Start pcscd and wait until it lists the vpcd readers.

        Raises:
            DriverUnavailable: pcscd or the vpcd driver is not installed.
            DeviceNotFound: another pcscd runs, or the readers did not appear in time.
        """
        exe = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)
        if exe is None:
            raise DriverUnavailable("pcsc://", "pcscd is not installed (Debian package pcscd)")
        if not Path(VPCD_DRIVER).exists():
            raise DriverUnavailable("pcsc://", "vpcd is not installed (Debian package vsmartcard-vpcd)")
        other = running_pcscd_pid()
        if other is not None:
            raise DeviceNotFound("pcsc://", f"another pcscd is running (pid {other})")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            f'FRIENDLYNAME "{READER_NAME}"\n'
            f"DEVICENAME /dev/null:0x{self.base_port:04X}\n"
            f"LIBPATH {VPCD_DRIVER}\n"
            f"CHANNELID 0x{self.base_port:04X}\n"
        )
        with self.log_path.open("ab") as log_file:
            self._proc = subprocess.Popen(
                [exe, "--foreground", "--config", str(self.config), "--info"],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        if not self.wait_readers(timeout_s):
            exited = not self.running
            self.stop()
            if exited:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
                raise DeviceNotFound("pcsc://", f"pcscd exited at start: {' '.join(tail)[-120:]}")
            raise DeviceNotFound("pcsc://", f"pcscd listed no vpcd reader within {timeout_s:g} s")
        log.info("pcscd %d serving vpcd on ports %d-%d", self._proc.pid, self.base_port, self.base_port + 1)

    def wait_readers(self, timeout_s: float) -> bool:
        """Wait until pcscd lists both vpcd slots."""
        from drivers.pcsc import list_readers

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                return False
            try:
                if sum(READER_NAME in n for n in list_readers()) >= 2:
                    return True
            except Exception:  # pcscd still starting: its socket is not there yet
                pass
            time.sleep(0.02)
        return False

    def stop(self, timeout_s: float = 5.0) -> None:
        """Terminate pcscd (SIGTERM, then SIGKILL after ``timeout_s``)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout_s)
        # a killed pcscd leaves its pid file and socket; a new one starts cleanly over them (RECIPES.md)

    def __enter__(self) -> PcscdProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
