"""``vocdesk rasa-actions`` without the [rasa] extra, or on a taken port: one line on stderr, status 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import require_extra
from tests.e2e.conftest import Run, clean_environ

WITHOUT_RASA_SDK = "import sys; sys.modules['rasa_sdk'] = None; from bot.cli import main; main()"


def test_without_the_extra_the_command_says_what_to_install(config_file: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_RASA_SDK, "--config", str(config_file), "rasa-actions"],
                          capture_output=True, text=True, env=clean_environ(), timeout=120, encoding="utf-8")
    assert done.returncode == 2
    assert done.stderr == ("error: 'vocdesk rasa-actions' needs rasa-sdk, which is not installed: "
                           "pip install 'vocdesk[rasa]' (or -e '.[rasa]' in a source tree)\n")


def test_a_taken_port_is_a_one_line_error(vocdesk: Run) -> None:
    require_extra("rasa_sdk", "rasa")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = vocdesk("rasa-actions", "--port", str(port))
    assert done.returncode == 2, done.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}: " in done.stderr and "Traceback" not in done.stderr
