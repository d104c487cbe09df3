"""Run handlers the way Lambda runs them: one process per container, one invocation per container at a time.

A container is a child process that executed the function's handler module.
Lambda never runs two invocations in one execution environment, nor shares
module state between environments, and code relies on both: Powertools keeps
the current event on a class attribute of its resolver, and its logger and
metrics buffer per process. So each concurrent invocation gets its own
process, idle containers are reused (module state survives between
invocations, as in a warm Lambda), and beyond ``max_containers`` invocations
wait for a free one.

Handler files are loaded by path, never through sys.path. All containers of a
function share the module name ``paotui_fn_<LogicalId>``: names derived from
``__module__`` (Powertools idempotency keys) must not differ between
containers, as they do not differ between Lambda containers.
"""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import multiprocessing.context
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from paotui_local.container import exec_handler_module, run
from paotui_local.provision import FunctionSpec, Stack, describe
from paotui_local.template import Template, TemplateError

log = logging.getLogger("paotui_local")

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"

_LOAD_LOCK = threading.Lock()


class FunctionCodeMissing(Exception):
    """The template declares a function whose handler file or function does not exist (yet)."""


def load_module(spec: FunctionSpec) -> ModuleType:
    """Execute the handler file as a new module object in this process (tests, OpenAPI documents)."""
    if not spec.handler_file.is_file():
        raise FunctionCodeMissing(f"{spec.logical_id}: no handler code at {spec.handler_file} (Handler {spec.handler})")
    with _LOAD_LOCK:
        return exec_handler_module(str(spec.handler_file), f"paotui_fn_{spec.logical_id}")


def runtime_description(spec: FunctionSpec) -> dict[str, Any]:
    """What a container process needs to know about its function (sent to it as JSON)."""
    return {
        "logical_id": spec.logical_id,
        "name": spec.name,
        "arn": spec.arn,
        "memory_mb": spec.memory_mb,
        "timeout": spec.timeout,
        "log_group": spec.log_group,
        "handler_file": str(spec.handler_file),
        "handler_function": spec.handler_function,
        "module_name": f"paotui_fn_{spec.logical_id}",
    }


PRELOADED = (
    "boto3",
    "botocore.session",
    "pydantic",
    "pydantic.main",
    "pydantic.networks",
    "pynamodb.models",
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
    "jwt",
    "requests",
    "numpy",
    "scipy.sparse.csgraph",
    "scipy.spatial",
)
"""Libraries the handlers (or the dispatch engine) import: loaded once by the fork server, not per container.
``pydantic`` alone loads only its lazy front; ``pydantic.main`` is what the first model needs (52 ms)."""


@functools.cache
def container_processes() -> multiprocessing.context.ForkServerContext:
    """Where containers come from: a fork server that imported :data:`PRELOADED` once.

    A container forked from it starts in a fraction of the time a fresh interpreter takes to import
    them (the local cloud starts 20 at once, and the e2e tests one cloud per module). Nothing of ours is
    imported there, so no module state is shared: each container executes its handler file itself, with
    the environment it is given, as a new Lambda execution environment does.
    """
    processes = multiprocessing.get_context("forkserver")
    processes.set_forkserver_preload(list(PRELOADED))
    return processes


class FunctionError(Exception):
    """The handler raised: the message is the handler's, as Lambda reports ``errorMessage``."""

    def __init__(self, error_type: str, message: str, trace: str = ""):
        super().__init__(message)
        self.error_type = error_type
        self.trace = trace


class Container:
    """One Lambda execution environment: its own process, holding one copy of the function's code."""

    def __init__(self, spec: FunctionSpec, number: int):
        if not spec.code_exists:
            raise FunctionCodeMissing(
                f"{spec.logical_id}: no handler code at {spec.handler_file} (Handler {spec.handler})"
            )
        started = time.perf_counter()
        self.number = number
        processes = container_processes()
        self._connection, theirs = processes.Pipe()
        self._process = processes.Process(
            target=run,
            args=(theirs, runtime_description(spec), dict(os.environ), os.getpid()),
            name=f"{spec.logical_id}-{number}",
            daemon=True,
        )
        self._process.start()
        theirs.close()
        first = self._receive()
        if "missing" in first:
            self.stop()
            raise FunctionCodeMissing(first["missing"])
        if "error" in first:
            self.stop()
            raise FunctionError(**_error_fields(first["error"]))
        log.info(
            "%s: cold start, container %d ready in %.0f ms",
            spec.logical_id,
            number,
            (time.perf_counter() - started) * 1000,
        )

    def invoke(self, event: Any, request_id: str) -> Any:
        self._connection.send_bytes(json.dumps({"event": event, "request_id": request_id}).encode())
        answer = self._receive()
        if "error" in answer:
            raise FunctionError(**_error_fields(answer["error"]))
        return answer["ok"]

    def _receive(self) -> dict[str, Any]:
        try:
            return json.loads(self._connection.recv_bytes())
        except EOFError:
            self._process.join(timeout=1)
            raise FunctionError(
                "Runtime.ExitError", f"container {self.number} exited ({self._process.exitcode})"
            ) from None

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        self._connection.close()
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _error_fields(error: dict[str, Any]) -> dict[str, str]:
    return {"error_type": error["type"], "message": error["message"], "trace": error.get("trace", "")}


class FunctionPool:
    """The containers of one function."""

    def __init__(self, spec: FunctionSpec, max_containers: int = 4):
        self.spec = spec
        self.max_containers = max_containers
        self._idle: list[Container] = []
        self._count = 0  # containers alive
        self._created = 0
        self._cond = threading.Condition()

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        """Run the handler once; its exceptions propagate (they are the function's errors)."""
        with self.container() as container:
            started = time.perf_counter()
            try:
                return container.invoke(event, request_id or str(uuid.uuid4()))
            finally:
                elapsed = time.perf_counter() - started
                if elapsed > self.spec.timeout:
                    log.warning(
                        "%s ran %.1f s, over its Timeout of %d s: Lambda would have stopped it",
                        self.spec.logical_id,
                        elapsed,
                        self.spec.timeout,
                    )

    @contextmanager
    def container(self) -> Iterator[Container]:
        """Borrow a container: an idle one, a new one below the cap, or wait for one; a dead one is not kept."""
        with self._cond:
            while not self._idle and self._count >= self.max_containers:
                self._cond.wait()
            container = self._idle.pop() if self._idle else None
            if container is None:
                self._count += 1
                self._created += 1
                number = self._created
        if container is None:
            try:
                container = Container(self.spec, number)
            except BaseException:
                with self._cond:
                    self._count -= 1
                    self._cond.notify()
                raise
        try:
            yield container
        finally:
            alive = container.alive
            with self._cond:
                if alive:
                    self._idle.append(container)
                else:  # its process exited (Runtime.ExitError): Lambda starts a new environment, so do we
                    self._count -= 1
                self._cond.notify()
            if not alive:
                container.stop()

    def warm(self) -> None:
        """Start one container ahead of the first invocation, as provisioned concurrency does."""
        with self.container():
            pass

    def close(self) -> None:
        """Stop every idle container (call once nothing invokes this function any more)."""
        with self._cond:
            idle, self._idle = self._idle, []
        for container in idle:
            container.stop()


def pools(functions: Mapping[str, FunctionSpec], max_containers: int = 4) -> dict[str, FunctionPool]:
    return {logical_id: FunctionPool(spec, max_containers) for logical_id, spec in functions.items()}


def load_handler(
    function_logical_id: str,
    template_path: str | Path = DEFAULT_TEMPLATE,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
) -> Callable[[Any, Any], Any]:
    """The handler of one template function, in a fresh module (a new container), for tests.

    Nothing is provisioned and the environment is left alone: set the
    function's variables (and mock AWS) before calling this.
    """
    functions = describe(Stack(Template(template_path), parameter_overrides=parameter_overrides)).functions
    if function_logical_id not in functions:
        raise TemplateError(f"{template_path} declares no function {function_logical_id}")
    spec = functions[function_logical_id]
    handler = getattr(load_module(spec), spec.handler_function, None)
    if not callable(handler):
        raise FunctionCodeMissing(f"{function_logical_id}: {spec.handler_file} has no function {spec.handler_function}")
    return handler
