"""The round's assignment problem: riders × units, each rider doing at most one unit, at least cost.

Solved as a rectangular linear assignment on the sparse candidate graph with
scipy's LAPJVsp (``min_weight_full_bipartite_matching``): rows are riders,
columns are units plus one "stay free" column per rider, so a full matching
of the rows always exists and leaving a rider free costs nothing. Riders as
rows keep the row count at the smaller side at city scale (5,000 riders,
10,000+ units), where the solver is ~20× faster than with units as rows.
Only units with a pair get a column: the solver pays for every column, empty
or not, and a round's first solve has the singles in play out of all its
units (10,000 of 36,000 at city scale; each solve ~0.3 s with the empty
columns, ~0.1 s without, the same matching). Values may be negative (a served
order earns its reward); they are shifted to stay positive, which changes no
optimum because every row is matched once. The time does not follow the pair
count: pruning each unit to its cheapest dozen riders, or each rider to its
best 16–32 units, saved nothing measurable (and the first lost coverage).
"""

from __future__ import annotations

import numpy as np


def match(pair_rider: np.ndarray, pair_unit: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The pair indices of an optimal matching (only real pairs, sorted by unit)."""
    if not len(pair_rider):
        return np.zeros(0, dtype=np.int64)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    _, row = np.unique(pair_rider, return_inverse=True)
    _, col = np.unique(pair_unit, return_inverse=True)  # only units with a pair: an empty column costs the solver
    n_rows, n_cols = int(row.max()) + 1, int(col.max()) + 1
    shift = 1.0 - min(0.0, float(value.min()))
    rows = np.concatenate([row, np.arange(n_rows)])
    cols = np.concatenate([col, n_cols + np.arange(n_rows)])
    weights = np.concatenate([value + shift, np.full(n_rows, shift)])
    graph = csr_matrix((weights, (rows, cols)), shape=(n_rows, n_cols + n_rows))
    _, col_of_row = min_weight_full_bipartite_matching(graph)
    real = np.flatnonzero(col_of_row < n_cols)
    keys = row.astype(np.int64) * (n_cols + n_rows) + col
    order = np.argsort(keys, kind="stable")
    wanted = real.astype(np.int64) * (n_cols + n_rows) + col_of_row[real]
    chosen = order[np.searchsorted(keys[order], wanted)]
    return chosen[np.argsort(pair_unit[chosen], kind="stable")]
