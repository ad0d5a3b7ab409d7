"""The real ``vocdesk serve`` process on a free port of 127.0.0.1, ready once ``/healthz`` answers 200."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import VOCDESK, clean_environ
from tests.kakao_support import SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    out: Path
    err: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kakao(self, body: Any, *, secret: str | None = SECRET, timeout: float = 30.0) -> httpx.Response:
        headers = {"X-Vocdesk-Skill-Secret": secret} if secret is not None else {}
        return httpx.post(f"{self.base}/kakao/skill", json=body, headers=headers, timeout=timeout)

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8") + self.err.read_text(encoding="utf-8")

    def stop(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def edit(config: Path, changes: Mapping[str, str]) -> None:
    """Replace each key of ``changes`` (which must be in the file) by its value."""
    text = config.read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")


def serve(config: Path, *, env: Mapping[str, str] | None = None, changes: Mapping[str, str] | None = None,
          args: tuple[str, ...] = (), wait: float = 180.0) -> Served:
    """Start ``vocdesk serve`` with ``config`` edited by ``changes`` and listening on a free ``[server] port``;
    wait until it is healthy (fails with its output if it exits or does not get there within ``wait`` s)."""
    port = free_port()
    edit(config, {"port = 8080": f"port = {port}", "shutdown_grace = 10": "shutdown_grace = 20"} | dict(changes or {}))
    out, err = config.with_name(f"serve-{port}.out"), config.with_name(f"serve-{port}.err")
    environ = clean_environ({"KAKAO_SKILL_SECRET": SECRET} | dict(env or {}))
    with out.open("w") as o, err.open("w") as e:
        process = subprocess.Popen([str(VOCDESK), "--config", str(config), "serve", *args], stdout=o, stderr=e,
                                   env=environ, text=True)
    served = Served(process, port, out, err)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"vocdesk serve exited with {process.returncode}:\n{served.output()[-3000:]}")
        try:
            if httpx.get(f"{served.base}/healthz", timeout=2).status_code == 200:
                return served
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    served.stop()
    raise AssertionError(f"vocdesk serve not healthy after {wait}s:\n{served.output()[-3000:]}")
