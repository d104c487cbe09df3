"""Same-store bundles: which groups of orders to consider, and which to form this round.

Candidates: a store's open orders sorted by ready time (an order already
ready counts as ready now), each paired with each of the next
:data:`PAIR_REACH`, and every run of 3 to ``max_bundle`` consecutive ones,
whose ready times lie within ``bundle_window`` (a bundle is ready when its
last order is, so far-apart ready times only make the first order wait).
This keeps the count linear in the store's orders.

Forming: the round first assigns single orders, then asks, for each candidate
that is a union of current units, whether one rider doing it beats the
current plan for its parts: the parts' current costs (a unit nobody could
take counts :data:`~paotui.dispatch.engine.cost.SERVE_REWARD` per order) minus
the bundle's cost on that rider, minus what that rider's current unit would
lose. Positive gains are taken greedily, best first, with no order or rider
used twice, and the round reassigns. So bundles appear when riders are scarce
(orders left over, or served late) and not when a second rider would deliver
sooner.
"""

from __future__ import annotations

import numpy as np

from paotui.dispatch.engine.model import Params

PAIR_REACH = 4  # a pair joins an order with one of the next PAIR_REACH of its store, in ready order


def candidate_units(store_of: np.ndarray, ready: np.ndarray, params: Params) -> np.ndarray:
    """Singles then bundles as a (u, max_bundle) matrix of order indices, -1 padded."""
    n = len(store_of)
    width = max(1, params.max_bundle)
    singles = np.full((n, width), -1, dtype=np.int64)
    singles[:, 0] = np.arange(n)
    if width == 1 or n < 2:
        return singles
    order = np.lexsort((np.arange(n), ready, store_of))  # by store, then ready time, then index
    s, r = store_of[order], ready[order]
    rows = []
    for gap in range(1, PAIR_REACH + 1):  # pairs: each order with the next few of its store
        first = np.arange(n - gap)
        ok = (s[first] == s[first + gap]) & (r[first + gap] - r[first] <= params.bundle_window)
        if ok.any():
            block = np.full((int(ok.sum()), width), -1, dtype=np.int64)
            block[:, 0], block[:, 1] = order[first[ok]], order[first[ok] + gap]
            rows.append(block)
    for k in range(3, width + 1):  # bigger bundles: runs of consecutive orders
        if n < k:
            break
        first, last = np.arange(n - k + 1), np.arange(k - 1, n)
        ok = (s[first] == s[last]) & (r[last] - r[first] <= params.bundle_window)
        starts = np.flatnonzero(ok)
        if len(starts):
            block = np.full((len(starts), width), -1, dtype=np.int64)
            for j in range(k):
                block[:, j] = order[starts + j]
            rows.append(block)
    return np.vstack([singles, *rows]) if rows else singles


def union_parts(units: np.ndarray, unit_of: np.ndarray, unit_size: np.ndarray) -> np.ndarray:
    """For each candidate row of ``units``: the distinct active units it is made of (-1 padded),
    or all -1 when it is not exactly a union of at least two active units."""
    members = np.where(units >= 0, unit_of[np.where(units >= 0, units, 0)], -1)
    parts = np.sort(members, axis=1)
    first = np.ones_like(parts, dtype=bool)
    first[:, 1:] = parts[:, 1:] != parts[:, :-1]
    parts = np.where(first & (parts >= 0), parts, -1)
    covered = np.where(parts >= 0, unit_size[np.where(parts >= 0, parts, 0)], 0).sum(axis=1)
    count = (parts >= 0).sum(axis=1)
    ok = (covered == (units >= 0).sum(axis=1)) & (count >= 2)
    return np.where(ok[:, None], parts, -1)


def choose_bundles(
    pair_unit: np.ndarray, pair_rider: np.ndarray, gain: np.ndarray, parts: np.ndarray
) -> list[tuple[int, int]]:
    """Greedy by gain: (unit, rider) pairs with positive gain, no active part or rider used twice."""
    good = np.flatnonzero(gain > 1e-9)
    if not len(good):
        return []
    good = good[np.lexsort((pair_rider[good], -gain[good], pair_unit[good]))]
    best = good[np.r_[True, pair_unit[good][1:] != pair_unit[good][:-1]]]  # each unit's best rider
    best = best[np.lexsort((pair_unit[best], -gain[best]))]
    used_parts: set[int] = set()
    used_riders: set[int] = set()
    chosen = []
    for u, r in zip(pair_unit[best].tolist(), pair_rider[best].tolist(), strict=True):
        mine = [p for p in parts[u].tolist() if p >= 0]
        if r in used_riders or not used_parts.isdisjoint(mine):
            continue
        used_parts.update(mine)
        used_riders.add(r)
        chosen.append((u, r))
    return chosen
