"""moto's Step Functions executions: each definition parsed once, and every execution stoppable from its start.

moto 5.2 parses a definition with its ANTLR grammar when the state machine is
created and again for every execution (150–350 ms for the order watchdog, CPU
that the local cloud's one process shares with everything else). The parse
tree depends only on the definition's text, so :func:`parse_each_definition_once`
keeps it. Each execution still gets its own evaluation components, built from
that tree as moto builds them.

moto also sets an execution's environment only after that parse, in the
execution's own thread, and a stop takes effect only once the program has
entered its first state. A StopExecution arriving before then failed with an
AttributeError (a 500) or was lost, and a GetExecutionHistory failed; AWS stops
the execution. :func:`stop_from_the_start` makes the environment before the
thread starts, and has a stop wait the moment it takes the program to begin.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

PROGRAM_START_SECONDS = 10.0
"""How long a stop waits for the execution's thread to parse the definition and enter the first state."""


def parse_each_definition_once() -> None:
    """Keep the parse tree of each definition; build the evaluation components from it afresh each time
    (idempotent)."""
    if getattr(AmazonStateLanguageParser.parse, "parsed_once", False):
        return
    parse = AmazonStateLanguageParser.parse
    tree_of = functools.lru_cache(maxsize=64)(lambda definition: parse(definition)[1])  # errors aren't kept

    def parse_once(definition: str) -> tuple[Any, Any]:
        tree = tree_of(definition)
        return Preprocessor().visit(tree), tree

    parse_once.parsed_once = True  # type: ignore[attr-defined]
    AmazonStateLanguageParser.parse = staticmethod(parse_once)


def stop_from_the_start() -> None:
    """Give each execution its environment when it starts, and have a stop wait for its program to begin
    (idempotent)."""
    if getattr(ExecutionWorker.stop, "waits_for_the_program", False):
        return
    make_environment, start, stop = (
        ExecutionWorker._get_evaluation_environment,
        ExecutionWorker.start,
        ExecutionWorker.stop,
    )

    def environment_once(worker: ExecutionWorker) -> Any:
        if worker.env is None:  # the thread asks again after its parse: the same one
            worker.env = make_environment(worker)
        return worker.env

    def start_with_environment(worker: ExecutionWorker) -> None:
        environment_once(worker)
        start(worker)

    def stop_once_begun(worker: ExecutionWorker, stop_date: Any, error: str | None, cause: str | None) -> None:
        deadline = time.monotonic() + PROGRAM_START_SECONDS
        while worker.env.program_state() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        stop(worker, stop_date=stop_date, error=error, cause=cause)

    stop_once_begun.waits_for_the_program = True  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_environment = environment_once
    ExecutionWorker.start = start_with_environment
    ExecutionWorker.stop = stop_once_begun
