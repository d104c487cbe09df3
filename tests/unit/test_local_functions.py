"""Handlers run in-process as Lambda runs them: a container per concurrent invocation,
reused when idle, capped per function; and ``load_handler`` for tests."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from paotui_local.container import LambdaContext
from paotui_local.functions import FunctionCodeMissing, FunctionError, FunctionPool, load_handler, runtime_description
from paotui_local.provision import Stack, describe
from paotui_local.template import Template, TemplateError

FIXTURE = Path(__file__).parents[1] / "integration" / "fixtures" / "local_cloud" / "template.yaml"


@pytest.fixture(scope="module")
def specs():
    return describe(Stack(Template(FIXTURE))).functions


def test_idle_containers_are_reused(specs):
    pool = FunctionPool(specs["Slow"], max_containers=3)
    first, second = pool.invoke({}), pool.invoke({})
    assert first["container"] == second["container"]
    assert (first["invocations"], second["invocations"]) == (1, 2), "module state survives, as in a warm Lambda"


def test_concurrent_invocations_get_their_own_containers_up_to_the_cap(specs):
    pool = FunctionPool(specs["Slow"], max_containers=2)
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as executor:
        results = list(executor.map(lambda _: pool.invoke({"sleep": 0.3}), range(4)))
    elapsed = time.perf_counter() - started
    assert len({r["container"] for r in results}) == 2
    assert elapsed >= 0.6, "beyond the cap, invocations wait for a free container"
    assert len({r["request_id"] for r in results}) == 4


def test_a_container_runs_one_invocation_at_a_time(specs):
    pool = FunctionPool(specs["Slow"], max_containers=4)
    active: dict[int, int] = {}
    overlap = threading.Event()
    lock = threading.Lock()

    def run(_):
        with pool.container() as container:
            with lock:
                active[id(container)] = active.get(id(container), 0) + 1
                if active[id(container)] > 1:
                    overlap.set()
            time.sleep(0.05)
            with lock:
                active[id(container)] -= 1

    with ThreadPoolExecutor(8) as executor:
        list(executor.map(run, range(16)))
    assert not overlap.is_set()


def test_missing_code_is_reported_by_name(specs):
    pool = FunctionPool(specs["Unfinished"])
    with pytest.raises(FunctionCodeMissing, match="Unfinished: no handler code at .*functions/unfinished/app.py"):
        pool.invoke({})
    with pytest.raises(FunctionCodeMissing):
        load_handler("Unfinished", FIXTURE)


def test_the_context_looks_like_lambdas(specs):
    context = LambdaContext(runtime_description(specs["Slow"]), "c0ffee", "req-1")
    assert context.function_name == "paotui-Slow"
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:paotui-Slow"
    assert context.memory_limit_in_mb == "256" and context.aws_request_id == "req-1"
    assert context.log_group_name == "/aws/lambda/paotui-Slow"
    assert context.log_stream_name.endswith("[$LATEST]c0ffee")
    assert 0 < context.get_remaining_time_in_millis() <= 1000


def test_load_handler_gives_a_fresh_copy_of_the_handler():
    first, second = load_handler("Slow", FIXTURE), load_handler("Slow", FIXTURE)
    assert first is not second and first.__module__ == second.__module__ == "paotui_fn_Slow"

    class Context:
        aws_request_id = "r"

    assert first({}, Context())["invocations"] == 1
    assert first({}, Context())["invocations"] == 2
    assert second({}, Context())["invocations"] == 1
    with pytest.raises(TemplateError, match="no function Nope"):
        load_handler("Nope", FIXTURE)


def test_a_container_whose_process_died_is_replaced_not_reused(specs):
    pool = FunctionPool(specs["Slow"], max_containers=1)
    crashed = pool.invoke({})["container"]
    with pytest.raises(FunctionError, match="exited"):
        pool.invoke({"exit": True})
    after = pool.invoke({})
    assert after["container"] != crashed and after["invocations"] == 1, "a fresh container, as Lambda starts one"


def test_the_containers_of_a_killed_cloud_end_with_it_even_mid_invocation():
    """The e2e harness kills each module's cloud: a container busy with a batch must not outlive it, retrying
    against a dead endpoint (or a new cloud's, given the same port) for minutes."""
    cloud = subprocess.Popen([sys.executable, "-c", _CLOUD_WITH_A_BUSY_CONTAINER], stdout=subprocess.PIPE, text=True)
    container = int(cloud.stdout.readline())
    time.sleep(0.3)  # its 60 s invocation under way
    cloud.kill()
    cloud.wait()
    deadline = time.monotonic() + 10
    while _running(container) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(container)


_CLOUD_WITH_A_BUSY_CONTAINER = f"""
import threading
from pathlib import Path
from paotui_local.functions import FunctionPool
from paotui_local.provision import Stack, describe
from paotui_local.template import Template

pool = FunctionPool(describe(Stack(Template(Path({str(FIXTURE)!r})))).functions["Slow"], max_containers=1)
print(pool.invoke({{}})["container"], flush=True)
threading.Thread(target=pool.invoke, args=({{"sleep": 60}},), daemon=True).start()
threading.Event().wait()
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
