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

import importlib.util
import logging
import multiprocessing
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from paotui_local.provision import FunctionSpec, Stack, describe
from paotui_local.template import Template, TemplateError

log = logging.getLogger("paotui_local")

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"

_LOAD_LOCK = threading.Lock()


class FunctionCodeMissing(Exception):
    """The template declares a function whose handler file or function does not exist (yet)."""


class LambdaContext:
    """The context object of the Python Lambda runtime (memory_limit_in_mb is a string there too)."""

    def __init__(self, spec: FunctionSpec, container_id: str, request_id: str | None = None):
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = str(spec.memory_mb)
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = spec.log_group
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{container_id}"
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_module(spec: FunctionSpec) -> ModuleType:
    """Execute the handler file as a new module object (one container's copy of the code)."""
    path = spec.handler_file
    if not path.is_file():
        raise FunctionCodeMissing(f"{spec.logical_id}: no handler code at {path} (Handler {spec.handler})")
    name = f"paotui_fn_{spec.logical_id}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    with _LOAD_LOCK:
        previous = sys.modules.get(name)
        sys.modules[name] = module  # pydantic and dataclasses look classes' modules up here
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            if previous is None:
                del sys.modules[name]
            else:
                sys.modules[name] = previous
            raise
    return module


class FunctionError(Exception):
    """The handler raised: the message is the handler's, as Lambda reports ``errorMessage``."""

    def __init__(self, error_type: str, message: str, trace: str):
        super().__init__(message)
        self.error_type = error_type
        self.trace = trace


def _serve(connection: Any, spec: FunctionSpec) -> None:
    """The child process: load the handler once, then run invocations as they come."""
    try:
        module = load_module(spec)
        handler = getattr(module, spec.handler_function, None)
        if not callable(handler):
            raise FunctionCodeMissing(f"{spec.logical_id}: {spec.handler_file} has no function {spec.handler_function}")
    except FunctionCodeMissing as missing:
        connection.send(("missing", str(missing)))
        return
    except BaseException as error:  # noqa: BLE001 (reported to the parent, which raises it)
        connection.send(("error", (type(error).__name__, str(error), traceback.format_exc())))
        return
    connection.send(("ready", None))
    container_id = uuid.uuid4().hex
    while True:
        try:
            event, request_id = connection.recv()
        except EOFError:
            return
        try:
            result = handler(event, LambdaContext(spec, container_id, request_id))
        except Exception as error:  # noqa: BLE001 (the function's error, reported as Lambda does)
            connection.send(("error", (type(error).__name__, str(error), traceback.format_exc())))
        else:
            connection.send(("ok", result))


class Container:
    """One Lambda execution environment: a process holding one copy of the function's code."""

    _context = multiprocessing.get_context("spawn")

    def __init__(self, spec: FunctionSpec, number: int):
        started = time.perf_counter()
        self.number = number
        self.id = uuid.uuid4().hex
        self._connection, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve, args=(child, spec), name=f"{spec.logical_id}-{number}", daemon=True
        )
        self._process.start()
        child.close()
        kind, payload = self._receive()
        if kind == "missing":
            self.stop()
            raise FunctionCodeMissing(payload)
        if kind == "error":
            self.stop()
            raise FunctionError(*payload)
        log.info("%s: cold start, container %d ready in %.0f ms", spec.logical_id, number,
                 (time.perf_counter() - started) * 1000)

    def invoke(self, event: Any, request_id: str) -> Any:
        self._connection.send((event, request_id))
        kind, payload = self._receive()
        if kind == "error":
            raise FunctionError(*payload)
        return payload

    def _receive(self) -> tuple[str, Any]:
        try:
            return self._connection.recv()
        except EOFError:
            raise FunctionError("Runtime.ExitError", f"container {self.number} exited", "") from None

    def stop(self) -> None:
        self._connection.close()
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.kill()


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
                    log.warning("%s ran %.1f s, over its Timeout of %d s: Lambda would have stopped it",
                                self.spec.logical_id, elapsed, self.spec.timeout)

    @contextmanager
    def container(self) -> Iterator[Container]:
        """Borrow a container: an idle one, a new one below the cap, or wait for one."""
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
            with self._cond:
                self._idle.append(container)
                self._cond.notify()


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
