"""Powertools logger, tracer and metrics shared by the domain package.

Service name and namespace come from POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE (template Globals), so each function reports as itself.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()

# An invocation with nothing to count is normal (a read, a login, a poll that found nothing), but
# Powertools warns about it on stderr, once per container: noise in every function's log.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


class LazyTracer:
    """Powertools' Tracer, created when the first invocation starts instead of at import.

    Creating a Tracer imports the X-Ray SDK, whose recorder builds a sampler
    with two botocore X-Ray clients (~100 ms) although Lambda makes the
    sampling decision itself. Deferring it keeps module import (INIT) lean;
    the first invocation pays it instead (docs/benchmarks.md shows both).
    """

    def __init__(self) -> None:
        self._tracer: Tracer | None = None
        self._lock = threading.Lock()

    @property
    def tracer(self) -> Tracer:
        if self._tracer is None:
            with self._lock:
                if self._tracer is None:
                    self._tracer = Tracer()
        return self._tracer

    def capture_lambda_handler(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        traced: list[Callable[..., Any]] = []

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            if not traced:
                traced.append(self.tracer.capture_lambda_handler(handler))
            return traced[0](event, context)

        return wrapper


tracer = LazyTracer()
