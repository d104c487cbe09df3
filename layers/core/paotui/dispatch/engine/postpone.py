"""Postponement: commit a planned trip only when waiting for the next round would cost something.

Every round re-plans all open orders, so a plan that is not committed is not
lost: its rider stays free and the order stays open. Committing early only
removes options (a rider sent now to a store whose food is ready in 20
minutes waits there, and cannot take the order that comes in next; a bundle
sent now cannot take the store's next order). So a trip is postponed while
deciding it one round later would still leave on time: the rider's departure
if decided next round, ``max(now + interval, free_at)``, is no later than the
last departure that keeps the pickup at the food's ready time
(``depart_latest``), or than when they would leave anyway. A trip to a busy
rider is postponed until they are about to be free, and an order no rider
can reach in time is committed at once. Never postponing beyond
``depart_latest`` means postponing never adds a minute to click-to-door, so
it can never push an order past the maximum.
"""

from __future__ import annotations

import numpy as np


def commit_now(now: float, interval: float, start: np.ndarray, depart_latest: np.ndarray) -> np.ndarray:
    """``start``: when the rider would leave if committed now (now, or when their route ends)."""
    later = np.maximum(now + interval, start)
    return later > np.maximum(depart_latest, start) + 1e-9
