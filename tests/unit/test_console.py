"""The merchant console's JavaScript (console/): its alert and order logic under node's test runner, and its page's wiring."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_alert_and_order_logic_passes_its_node_tests():
    run = subprocess.run(
        ["node", "--test", str(ROOT / "tests" / "console")], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def declared_routes() -> set[tuple[str, str]]:
    """(method, path with ``*`` for each parameter) of every API route in template.yaml."""
    resources = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"].values()
    events = [event for res in resources for event in (res.get("Properties", {}).get("Events") or {}).values()]
    return {
        (event["Properties"]["Method"].upper(), re.sub(r"\{[^}]+\}", "*", event["Properties"]["Path"]))
        for event in events
        if event["Type"] == "Api"
    }


def test_the_page_calls_only_routes_the_api_has():
    script = (CONSOLE / "console.js").read_text(encoding="utf-8")
    called = set(re.findall(r'api\("(GET|POST|PUT|PATCH|DELETE)", [`"]([^`"?]+)', script))
    # the calls whose path is made elsewhere: the order desk's lookup and its next page, paths order_desk.js writes
    # out, and a page of an operators' list (scanPage), at a path console.js hands it or shops.js writes out
    made_elsewhere = {"state.lookup", "nextPath(state.lookup", "pagePath"}
    assert set(re.findall(r'api\("[A-Z]+", (?![`"])([^,)]+)', script)) == made_elsewhere
    desk = (CONSOLE / "order_desk.js").read_text(encoding="utf-8")
    called |= {("GET", path) for path in re.findall(r"`(/orders[^`?]*)", desk)}
    called |= {("GET", path) for path in re.findall(r'(?:showList\("\w+", |scanPage\()[`"]([^`"?]+)', script)}
    shops = (CONSOLE / "shops.js").read_text(encoding="utf-8")
    called |= {("GET", path) for path in re.findall(r"`(/admin/merchants[^`?]*)", shops)}
    routes = declared_routes()
    assert called, "no API call found"
    for method, path in called:
        assert (method, re.sub(r"\$\{[^}]+\}", "*", path)) in routes, (method, path)
    page = (CONSOLE / "index.html").read_text(encoding="utf-8")
    forms = "".join(re.findall(r"const [A-Z_]+_FIELDS = \{([^}]*)\}", script))  # the forms' fields' ids
    assert forms, "no form fields found"
    lists = re.search(r"const OPS_LISTS = \{(.*?)\n\};", script, re.DOTALL)  # where the operators' lists show
    assert lists, "no operators' lists found"
    for element in re.findall(r'\$\("([a-z-]+)"\)', script) + re.findall(r': "([a-z-]+)"', forms + lists.group(1)):
        assert f'id="{element}"' in page, element
