"""The whole local cloud over HTTP, in a process of its own running what `make run` runs.

Each test module gets a fresh cloud (fresh stock, idle riders), with the
watchdog's timers shortened so timeouts happen within a test. Set
PAOTUI_E2E_LOG=1 to see the cloud's log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import pytest

from paotui_local.harness import Cloud, start_cloud

E2E_TIMERS = {
    "PAYMENT_TIMEOUT_SECONDS": "6",
    "CONFIRM_TIMEOUT_SECONDS": "60",
    "OFFER_TTL_SECONDS": "6",
    "OFFER_SMS_FALLBACK_SECONDS": "2",  # below the offer TTL: an unanswered offer is texted while still open
    "DELIVERY_TIMEOUT_SECONDS": "120",
}


@contextmanager
def cloud_with(changed: Mapping[str, str]) -> Iterator[Cloud]:
    """A fresh cloud with the e2e timers and settings, ``changed`` where a module needs other ones."""
    with start_cloud({**E2E_TIMERS, **changed}, echo_logs=bool(os.environ.get("PAOTUI_E2E_LOG"))) as running:
        yield running


def module_cloud(changed: Mapping[str, str]) -> Callable[[], Iterator[Cloud]]:
    """A module's ``cloud`` fixture: a fresh cloud of :func:`cloud_with` (``cloud = module_cloud({...})`` in the
    module)."""

    @pytest.fixture(scope="module")
    def cloud() -> Iterator[Cloud]:
        with cloud_with(changed) as running:
            yield running

    return cloud


cloud = module_cloud({})
