"""What the local cloud may import before it has provisioned the stack."""

from __future__ import annotations

import subprocess
import sys

IMPORTED_RECORDS = """
import sys
import paotui_local.__main__, paotui_local.cloud
print(sorted(name for name in sys.modules if name.startswith("paotui.") and name.endswith("records")))
"""


def test_starting_the_cloud_imports_no_record_class_before_the_tables_are_named() -> None:
    """A record class takes its table's name from the settings when it is imported (``table_meta``). Imported
    before the cloud sets the names of the tables it provisions, it keeps the defaults, and every call to it
    fails with ResourceNotFound (as the seeder did when a fake imported a catalog module)."""
    run = subprocess.run([sys.executable, "-c", IMPORTED_RECORDS], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
