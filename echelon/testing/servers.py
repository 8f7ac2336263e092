"""Real server processes for the several-servers test: gunicorn app servers and `echelon db_worker`s, each
in its own process group (stopped with the whole group, whatever it started), their output in a log file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None


def start(name: str, args: list[str], env: Mapping[str, str], folder: Path) -> Process:
    """Start ``args`` (a new session, so a process group of its own) with its output in ``folder``."""
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            args, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, popen, log)


def gunicorn(name: str, port: int, env: Mapping[str, str], folder: Path) -> Process:
    """An app server: echelon.wsgi under gunicorn, one worker, on 127.0.0.1:``port``. Its control socket is
    its own (gunicorn's default, ~/.gunicorn/gunicorn.ctl, is one per user: a second server would take it)."""
    args = [sys.executable, "-m", "gunicorn", "echelon.wsgi", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", "1", "--threads", "4", "--timeout", "120", "--access-logfile", "-"]
    args += ["--control-socket", str(folder / f"{name}.ctl")]
    return start(name, args, env, folder)


def db_worker(name: str, env: Mapping[str, str], folder: Path) -> Process:
    """A job worker (django-tasks' database backend) with its own worker id: ``name``."""
    args = [sys.executable, "-m", "echelon.manage", "db_worker", "--worker-id", name]
    args += ["--interval", "0.2", "--no-startup-delay"]
    return start(name, args, env, folder)


def stop(process: Process, grace: float = 10.0) -> None:
    """SIGTERM to the process group, SIGKILL to it after ``grace`` seconds."""
    if process.popen.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(grace)
    with contextlib.suppress(ProcessLookupError):  # whatever the group still holds (a gunicorn worker)
        os.killpg(process.popen.pid, signal.SIGKILL)
    if process.popen.poll() is None:
        process.popen.wait(grace)


def wait_until(what: str, ready: Callable[[], bool], processes: list[Process], timeout: float = 90.0) -> None:
    """Poll ``ready`` every 0.2 s; fail at once when one of ``processes`` died, or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited ({process.popen.returncode}):\n{process.tail()}")
        if ready():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.tail()}" for p in processes)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s\n{tails}")


def health(url: str) -> dict[str, object] | None:
    """The JSON of ``url``/healthz, or None while the server does not answer."""
    try:
        answer = requests.get(f"{url}/healthz", timeout=5)
    except requests.RequestException:
        return None
    try:
        body = answer.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
