"""A Mermaid state diagram drawn from an Amazon States Language document, so the picture in docs/ can't drift.

``python -m paotui_local.asl_diagram`` prints the diagram of the order
watchdog; ``--write`` replaces the block between the markers in
docs/watchdog.md with it (tests/unit/test_watchdog_diagram.py fails when the
two differ). Every transition the ASL can take is an edge: ``Next``,
``Default``, each ``Choices`` rule (labelled with what it tests), each
``Catch`` (labelled with the errors it catches, ``States.Timeout`` as
"timeout"), and the end of the execution for ``End``, ``Succeed`` and ``Fail``.
A ``Parallel`` state is a composite state holding its branches side by side
(Mermaid's ``--``), each drawn the same way; inside a branch, ``[*]`` is the
branch's start and end.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
WATCHDOG = ROOT / "infra" / "statemachines" / "order-watchdog.asl.json"
DOC = ROOT / "docs" / "watchdog.md"
BEGIN, END = "<!-- diagram: generated from the ASL; python -m paotui_local.asl_diagram --write -->", "<!-- /diagram -->"


def load(path: Path = WATCHDOG) -> dict[str, Any]:
    """The ASL document, with the template's ``${Placeholders}`` (numbers) read as 0 so that it parses."""
    return json.loads(re.sub(r"\$\{\w+\}", "0", path.read_text(encoding="utf-8")))


def mermaid(document: Mapping[str, Any]) -> str:
    return "\n".join(["stateDiagram-v2", *_machine(document, "    ")]) + "\n"


def _machine(machine: Mapping[str, Any], indent: str) -> Iterator[str]:
    """The lines of one state machine (the document, or a Parallel's branch) at ``indent``."""
    yield f"{indent}[*] --> {machine['StartAt']}"
    for name, state in machine["States"].items():
        if state["Type"] == "Parallel":
            yield f"{indent}state {name} {{"
            for number, branch in enumerate(state["Branches"]):
                if number:
                    yield f"{indent}    --"
                yield from _machine(branch, indent + "    ")
            yield f"{indent}}}"
        yield from (f"{indent}{name} --> {target}{_label(label)}" for target, label in _edges(state))


def _edges(state: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for rule in state.get("Choices", []):
        yield rule["Next"], _condition(rule)
    if "Default" in state:
        yield state["Default"], "otherwise"
    for catch in state.get("Catch", []):
        yield catch["Next"], " / ".join(_error(error) for error in catch["ErrorEquals"])
    if "Next" in state:
        yield state["Next"], ""
    if state.get("End") or state["Type"] in ("Succeed", "Fail"):
        yield "[*]", "fails" if state["Type"] == "Fail" else ""


def _condition(rule: Mapping[str, Any]) -> str:
    """A Choice rule in a few words: its variable's last field and the comparison's value."""
    variable = str(rule.get("Variable", "")).rsplit(".", 1)[-1]
    for key, value in rule.items():
        if key == "IsPresent":
            return variable if value else f"no {variable}"
        if key not in ("Variable", "Next"):
            return f"{variable} {_operator(key)} {value}".strip()
    return variable


def _operator(key: str) -> str:
    return {
        "StringEquals": "=",
        "BooleanEquals": "=",
        "NumericEquals": "=",
        "NumericGreaterThan": ">",
        "NumericLessThan": "<",
    }.get(key, key)


def _error(error: str) -> str:
    return {"States.Timeout": "timeout", "States.ALL": "any error"}.get(error, error)


def _label(text: str) -> str:
    return f" : {text}" if text else ""


def documented(doc: Path = DOC) -> str:
    """The diagram as docs/watchdog.md has it (between the markers, inside the mermaid fence)."""
    body = doc.read_text(encoding="utf-8").split(BEGIN, 1)[1].split(END, 1)[0]
    return body.strip().removeprefix("```mermaid").removesuffix("```").strip() + "\n"


def write(doc: Path = DOC, document: Mapping[str, Any] | None = None) -> None:
    text = doc.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    block = f"{BEGIN}\n```mermaid\n{mermaid(document or load())}```\n{END}"
    doc.write_text(before + block + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"update {DOC.relative_to(ROOT)} in place")
    args = parser.parse_args()
    if args.write:
        write()
    else:
        print(mermaid(load()), end="")


if __name__ == "__main__":
    main()
