"""What ``paotui-local`` writes where: one ready line on stdout, every log line once, on stderr."""

from __future__ import annotations

import subprocess
import sys

SEEDER_LOGS = """
import sys
from paotui_local import __main__ as cli

ready, sys.stdout = sys.stdout, sys.stderr  # as cli.main does
cli._configure_logging("INFO")
from paotui.platform.observability import logger

logger.info("user created", extra={"user_id": "usr_1"})
print("paotui local cloud ready on http://127.0.0.1:3000", file=ready)
"""


def test_the_seeders_lines_go_once_to_stderr_in_the_clouds_format() -> None:
    # its own process: the domain's logger is made at import, as it is when the cloud starts
    run = subprocess.run([sys.executable, "-c", SEEDER_LOGS], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "paotui local cloud ready on http://127.0.0.1:3000\n"
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].endswith("INFO    user created")
