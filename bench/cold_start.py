"""Cold start of every function: handler import as a ratio to `import boto3`, plus the first call's Tracer.

A Lambda cold start pays for importing the handler module (INIT) before the
first event; `LazyTracer` (paotui.platform.observability) then creates
Powertools' Tracer, which loads the X-Ray SDK, when the first event arrives.
This measures both in fresh interpreters of a virtualenv that holds only what
the layers ship (layers/*/requirements.txt: the CoreLayer's, and the numpy and
scipy only DispatchWorker has; no moto, no SAM CLI, no awscrt), with
layers/core on PYTHONPATH as the layer puts it on sys.path, and
compares the import with `import boto3` in the same virtualenv.

Functions, handlers and environment come from template.yaml (Globals merged).
Each probe is a fresh interpreter with the function's environment plus the
variables by which Powertools and the X-Ray SDK recognise Lambda, so the
Tracer is set up as it is there. The handler is imported as the Lambda
runtime imports it: CodeUri on sys.path, then importlib.import_module.
(`--loader spec` uses importlib.util.spec_from_file_location instead; on
CPython 3.11 that measures some 20-30 ms more for the very same module.)

Every round runs every probe once, baseline included, in shuffled order, so
load from other processes hits all alike; the table shows medians over
rounds. A warm-up run compiles the bytecode first: a cold start with stale or
missing .pyc files would measure the compiler.

    .venv/bin/python bench/cold_start.py [--runs 15] [--python python3.12] [--function OrdersApi ...] [--loader spec]

Writes bench/out/cold_start.md and bench/out/cold_start.json, and prints the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
LAYER_REQUIREMENTS = sorted((ROOT / "layers").glob("*/requirements.txt"))
CONSTRAINTS = ROOT / "constraints.txt"
TARGET_RATIO = 1.5
DEV_ONLY = ("moto", "samcli", "awscrt", "pytest")  # must not be importable in the runtime virtualenv

# argv: "boto3" | loader, handler directory, handler module, handler attribute.
# Prints seconds for the import and for Tracer() after it (what the first invocation adds).
PROBE = r"""
import importlib, importlib.util, sys, time
started = time.perf_counter()
if sys.argv[1] == "boto3":
    import boto3
    print(time.perf_counter() - started, 0.0)
    raise SystemExit
loader, directory, name, attribute = sys.argv[1:]
if loader == "import":  # what the Lambda runtime does: task root on sys.path, import_module
    sys.path.insert(0, directory)
    module = importlib.import_module(name)
else:
    spec = importlib.util.spec_from_file_location(name, f"{directory}/{name.replace('.', '/')}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
imported = time.perf_counter()
assert callable(getattr(module, attribute)), "no handler " + attribute
from aws_lambda_powertools import Tracer
Tracer()
print(imported - started, time.perf_counter() - imported)
"""


@dataclass(frozen=True)
class Function:
    logical_id: str
    directory: Path  # CodeUri: the task root
    module: str
    attribute: str
    runtime: str  # e.g. python3.12
    environment: dict[str, str]


def runtime_python(base_python: str) -> Path:
    """The runtime-only virtualenv's interpreter (one per Python minor version), rebuilt when requirements change."""
    version, tag = (
        subprocess.run(
            [
                base_python,
                "-c",
                "import sys; print(sys.version); print(f'py{sys.version_info[0]}{sys.version_info[1]}')",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()
    )
    venv_dir = OUT / f"runtime-venv-{tag}"
    python = venv_dir / "bin" / "python"
    requirements = b"".join(path.read_bytes() for path in LAYER_REQUIREMENTS)
    stamp = hashlib.sha256(requirements + CONSTRAINTS.read_bytes() + version.encode()).hexdigest()
    stamp_file = venv_dir / ".stamp"
    if not (python.exists() and stamp_file.exists() and stamp_file.read_text() == stamp):
        shutil.rmtree(venv_dir, ignore_errors=True)
        print(f"building {venv_dir.relative_to(ROOT)} from the layers' requirements ...", file=sys.stderr)
        subprocess.run([base_python, "-m", "venv", str(venv_dir)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *[arg for path in LAYER_REQUIREMENTS for arg in ("-r", str(path))],
                "-c",
                str(CONSTRAINTS),
            ],
            check=True,
        )
        stamp_file.write_text(stamp)
    leaked = subprocess.run(
        [str(python), "-c", f"import importlib.util as u; print(*[m for m in {DEV_ONLY!r} if u.find_spec(m)])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if leaked:
        raise SystemExit(f"{venv_dir} holds development packages {leaked}; delete it and run again")
    return python


def load_functions(only: list[str]) -> list[Function]:
    """Every AWS::Serverless::Function of template.yaml, with Globals applied to Handler and Environment."""
    sys.path.insert(0, str(ROOT / "infra" / "local"))
    from paotui_local.template import load_template  # reads CloudFormation's short-form tags

    template = load_template(ROOT / "template.yaml")
    defaults = {name: spec.get("Default") for name, spec in (template.get("Parameters") or {}).items()}
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    found = []
    for logical_id, resource in sorted((template.get("Resources") or {}).items()):
        if resource.get("Type") != "AWS::Serverless::Function" or (only and logical_id not in only):
            continue
        props = resource.get("Properties") or {}
        module, _, attribute = (props.get("Handler") or globals_.get("Handler", "app.handler")).rpartition(".")
        runtime = props.get("Runtime") or globals_.get("Runtime", "python3")
        code_dir = (ROOT / (props.get("CodeUri") or globals_["CodeUri"])).resolve()
        variables = {
            **((globals_.get("Environment") or {}).get("Variables") or {}),
            **((props.get("Environment") or {}).get("Variables") or {}),
        }
        found.append(
            Function(
                logical_id=logical_id,
                directory=code_dir,
                module=module,
                attribute=attribute,
                runtime=runtime,
                environment=_lambda_environment(logical_id, runtime, code_dir, variables, defaults),
            )
        )
    missing = set(only) - {f.logical_id for f in found}
    if missing:
        raise SystemExit(f"no such function in template.yaml: {', '.join(sorted(missing))}")
    return found


def _lambda_environment(
    logical_id: str, runtime: str, code_dir: Path, variables: dict, parameter_defaults: dict
) -> dict[str, str]:
    """Literal values and !Ref to parameters (their defaults).

    Other intrinsics name resources, for which the settings' defaults stand in.
    """
    environment = {}
    for name, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"} and parameter_defaults.get(value["Ref"]) is not None:
            value = parameter_defaults[value["Ref"]]
        if not isinstance(value, dict):
            environment[name] = str(value)
    environment.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": logical_id,  # with LAMBDA_TASK_ROOT: Powertools enables the Tracer
            "LAMBDA_TASK_ROOT": str(code_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        }
    )
    return environment


def probe_environment(extra: dict[str, str]) -> dict[str, str]:
    """A clean environment: nothing from the caller's AWS setup, an empty HOME as in Lambda."""
    home = OUT / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "PYTHONPATH": str(ROOT / "layers" / "core"),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **extra,
    }


def run_probe(python: Path, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    done = subprocess.run([str(python), "-c", PROBE, *argv], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"probe {argv[0]} failed:\n{done.stderr}")
    imported, tracer = done.stdout.split()
    return float(imported), float(tracer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds; every probe runs once per round (default 15)")
    parser.add_argument("--python", default=sys.executable, help="interpreter the runtime virtualenv is built from")
    parser.add_argument("--function", action="append", default=[], help="only this logical id (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="shuffle seed for the probe order")
    parser.add_argument(
        "--loader",
        choices=("import", "spec"),
        default="import",
        help="import: CodeUri on sys.path and importlib.import_module, as the Lambda runtime does (default); "
        "spec: importlib.util.spec_from_file_location",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    python = runtime_python(args.python)
    functions = load_functions(args.function)

    probes: dict[str, tuple[list[str], dict[str, str]]] = {"boto3": (["boto3"], probe_environment({}))}
    for fn in functions:
        argv = [args.loader, str(fn.directory), fn.module, fn.attribute]
        probes[fn.logical_id] = (argv, probe_environment(fn.environment))
    for argv, env in probes.values():  # warm-up: bytecode for this interpreter
        run_probe(python, argv, env)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in probes}
    order = list(probes)
    shuffle = random.Random(args.seed)
    for _ in range(args.runs):
        shuffle.shuffle(order)
        for name in order:
            samples[name].append(run_probe(python, *probes[name]))

    def median(name: str, index: int) -> float:
        return statistics.median(sample[index] for sample in samples[name]) * 1000

    baseline = median("boto3", 0)
    version = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    runtimes = sorted({fn.runtime for fn in functions})
    note = (
        ""
        if runtimes == [f"python{version.rsplit('.', 1)[0]}"]
        else (f" The template deploys {', '.join(runtimes)}: pass `--python` to measure with that interpreter.")
    )
    lines = [
        f"Cold start, median of {args.runs} rounds of fresh interpreters; Python {version}, runtime-only virtualenv "
        f"({', '.join(str(path.relative_to(ROOT)) for path in LAYER_REQUIREMENTS)}), "
        f"{platform.machine()} with {os.cpu_count()} CPUs, "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}.{note}",
        "",
        f"Import = loading the handler module (Lambda INIT; loader: {args.loader}). "
        "First call = `Tracer()`, which `LazyTracer` defers to the first invocation (X-Ray SDK and its patches).",
        "",
        "| Function | Handler | Import (ms) | Import / `import boto3` | First call: `Tracer()` (ms) "
        "| (Import + first call) / `import boto3` |",
        "|---|---|---:|---:|---:|---:|",
        f"| `import boto3` (baseline) | | {baseline:.0f} | 1.00 | | |",
    ]
    results = {}
    for fn in functions:
        imported, tracer = median(fn.logical_id, 0), median(fn.logical_id, 1)
        handler = f"{fn.directory.relative_to(ROOT)}/{fn.module}.{fn.attribute}"
        lines.append(
            f"| {fn.logical_id} | `{handler}` | {imported:.0f} | {imported / baseline:.2f} | {tracer:.0f} "
            f"| {(imported + tracer) / baseline:.2f} |"
        )
        results[fn.logical_id] = {
            "handler": handler,
            "import_ms": imported,
            "ratio": imported / baseline,
            "first_call_tracer_ms": tracer,
            "samples_ms": [[round(i * 1000, 2), round(t * 1000, 2)] for i, t in samples[fn.logical_id]],
        }
    meeting = sum(1 for r in results.values() if r["ratio"] <= TARGET_RATIO)
    lines += [
        "",
        f"Target: import ≤ {TARGET_RATIO:.2f}× `import boto3`; {meeting} of {len(results)} functions meet it.",
    ]
    report = "\n".join(lines)
    (OUT / "cold_start.md").write_text(report + "\n")
    (OUT / "cold_start.json").write_text(
        json.dumps(
            {
                "python": version,
                "runs": args.runs,
                "loader": args.loader,
                "baseline_ms": baseline,
                "baseline_samples_ms": [round(i * 1000, 2) for i, _ in samples["boto3"]],
                "target_ratio": TARGET_RATIO,
                "functions": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(report)


if __name__ == "__main__":
    main()
