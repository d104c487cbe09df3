"""moto's Step Functions executions: each definition parsed once, and every execution stoppable from its start.

moto 5.2 parses a definition with its ANTLR grammar when the state machine is
created and again for every execution (150–350 ms for the order watchdog, CPU
that the local cloud's one process shares with everything else). The parse
tree depends only on the definition's text, so :func:`parse_each_definition_once`
keeps it. Each execution still gets its own evaluation components, built from
that tree as moto builds them, one at a time: moto's ``Preprocessor`` keeps
its stack of query-language scopes in a class attribute, shared by every
instance.

Every state that reads or writes its input through a JSONPath had jsonpath_ng
parse the path, building its parser's tables each time (6% of the local
cloud's CPU in an offer-latency run); :func:`compile_each_json_path_once` keeps
each compiled path, which holds no state of its own.

moto also sets an execution's environment only after that parse, in the
execution's own thread, and a stop takes effect only once the program has
entered its first state. A StopExecution arriving before then failed with an
AttributeError (a 500) or was lost, and a GetExecutionHistory failed; and the
execution showed ABORTED only once its thread noticed the stop, which a task
waiting for its token does only at its timeout, so a ListExecutions after a
stop could still see it RUNNING. AWS stops the execution at any moment, before
StopExecution returns. :func:`stop_from_the_start` makes the environment before
the thread starts, has a stop wait the moment it takes the program to begin,
and shows the execution ABORTED from the stop on.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

import moto.stepfunctions.parser.asl.component.common.path.result_path as result_path
import moto.stepfunctions.parser.asl.utils.json_path as json_path
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

PROGRAM_START_SECONDS = 5.0
"""How long a stop waits for the execution's thread to parse the definition and enter the first state."""


def parse_each_definition_once() -> None:
    """Keep the parse tree of each definition; build the evaluation components from it afresh each time
    (idempotent)."""
    if getattr(AmazonStateLanguageParser.parse, "parsed_once", False):
        return
    parse, one_at_a_time = AmazonStateLanguageParser.parse, threading.Lock()
    tree_of = functools.lru_cache(maxsize=64)(lambda definition: parse(definition)[1])  # errors aren't kept

    def parse_once(definition: str) -> tuple[Any, Any]:
        with one_at_a_time:
            tree = tree_of(definition)
            return Preprocessor().visit(tree), tree

    parse_once.parsed_once = True  # type: ignore[attr-defined]
    AmazonStateLanguageParser.parse = staticmethod(parse_once)


def compile_each_json_path_once() -> None:
    """Keep each JSONPath jsonpath_ng compiles for moto's Step Functions (idempotent)."""
    for module in (json_path, result_path):
        if not getattr(module.parse, "compiled_once", False):
            module.parse = functools.lru_cache(maxsize=1024)(module.parse)
            module.parse.compiled_once = True


def stop_from_the_start() -> None:
    """Give each execution its environment when it starts, and have a stop wait for its program to begin and leave
    the execution ABORTED, as a StopExecution returns in AWS (idempotent)."""
    if getattr(Execution.stop, "waits_for_the_program", False):
        return
    make_environment, start, stop = ExecutionWorker._get_evaluation_environment, ExecutionWorker.start, Execution.stop

    def environment_once(worker: ExecutionWorker) -> Any:
        if worker.env is None:  # the thread asks again after its parse: the same one
            worker.env = make_environment(worker)
        return worker.env

    def start_with_environment(worker: ExecutionWorker) -> None:
        environment_once(worker)
        start(worker)

    def stop_once_begun(execution: Execution, stop_date: Any, error: str | None, cause: str | None) -> None:
        worker, deadline = execution.exec_worker, time.monotonic() + PROGRAM_START_SECONDS
        while worker is not None and worker.env.program_state() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        stop(execution, stop_date=stop_date, error=error, cause=cause)
        if worker is not None and isinstance(worker.env.program_state(), ProgramStopped):
            # moto shows it ABORTED once its thread notices, which a task waiting for its token does only at the
            # task's timeout; its thread records the same when it does
            execution.exec_status, execution.stop_date = ExecutionStatus.ABORTED, stop_date

    stop_once_begun.waits_for_the_program = True  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_environment = environment_once
    ExecutionWorker.start = start_with_environment
    Execution.stop = stop_once_begun
