"""What a function writes to its log besides its own lines."""

from __future__ import annotations

import subprocess
import sys

NOTHING_COUNTED = """
from paotui.platform.observability import metrics

@metrics.log_metrics
def handler(event, context):
    return "ok"

print(handler({}, None))
"""


def test_an_invocation_that_counts_nothing_leaves_no_warning_in_the_log() -> None:
    # its own process: pytest resets warning filters around each test, a Lambda container does not
    run = subprocess.run([sys.executable, "-c", NOTHING_COUNTED], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
    assert run.stderr == ""
