"""Stacking groups in the flow network: per (household, group), which needs keep their arcs into the
group node, and the node's arcs to the resources (the rule is in the solver's module doc).

Whole columns at a time with numpy; rows are numbered by first appearance so that the network keeps
the order of the problem's arcs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class GroupArcs:
    """The (household, group) keys, the (key, need) pairs keeping their arcs into a key's group node
    (ordered by key, then need by first appearance), and each key's arcs to its resources."""

    keys: int
    kept_key: Ints
    kept_need: Ints
    out_key: Ints  # ordered by key, then resource
    out_resource: Ints
    out_cost: Ints
    dropped: dict[int, set[int]]


def group_arcs(
    *, need_household: Ints, need_cost: Ints, group: Ints, arc_need: Ints, arc_resource: Ints, arc_cost: Ints
) -> GroupArcs:
    """Per (household, group): the needs whose group arcs equal the lead need's (module doc).

    The columns are those of the solver's `Problem`, with -1 for a resource without a group.
    """
    in_group = np.flatnonzero(group[arc_resource] >= 0)
    need = arc_need[in_group]
    resource = arc_resource[in_group]
    cost = arc_cost[in_group]
    arc_group = group[resource]
    key, keys = _first_appearance_ids(need_household[need], arc_group)
    pair, pairs = _first_appearance_ids(key, need)
    pair_key = np.empty(pairs, dtype=np.int64)
    pair_key[pair] = key
    pair_need = np.empty(pairs, dtype=np.int64)
    pair_need[pair] = need
    pair_group = np.empty(pairs, dtype=np.int64)
    pair_group[pair] = arc_group

    # Each pair's signature: its distinct (resource, cost), sorted, as one run of the arrays below.
    order = np.lexsort((cost, resource, pair))
    sig_pair, sig_resource, sig_cost = pair[order], resource[order], cost[order]
    distinct = np.r_[
        True,
        (sig_pair[1:] != sig_pair[:-1])
        | (sig_resource[1:] != sig_resource[:-1])
        | (sig_cost[1:] != sig_cost[:-1]),
    ][: len(order)]
    sig_pair, sig_resource, sig_cost = sig_pair[distinct], sig_resource[distinct], sig_cost[distinct]
    length = np.bincount(sig_pair, minlength=pairs)
    start = np.cumsum(length) - length

    # The lead of each key: its most urgent need (least need cost), then the first.
    by_urgency = np.lexsort((pair_need, need_cost[pair_need], pair_key))
    firsts = _run_starts(pair_key[by_urgency])
    lead = np.empty(keys, dtype=np.int64)
    lead[pair_key[by_urgency[firsts]]] = by_urgency[firsts]

    # A pair is kept when its signature equals its lead's, compared position by position.
    own_lead = lead[pair_key]
    lead_of_arc = own_lead[sig_pair]
    position = np.arange(len(sig_pair)) - start[sig_pair]
    within = position < length[lead_of_arc]
    at = np.minimum(start[lead_of_arc] + position, len(sig_pair) - 1)
    same = within & (sig_resource[at] == sig_resource) & (sig_cost[at] == sig_cost)
    mismatches = np.bincount(sig_pair[~same], minlength=pairs)
    kept = (mismatches == 0) & (length == length[own_lead])

    by_key = np.lexsort((np.arange(pairs), pair_key))  # pair ids number needs by first appearance
    dropped: dict[int, set[int]] = {}
    lost = by_key[~kept[by_key]]
    for n, g in zip(pair_need[lost].tolist(), pair_group[lost].tolist(), strict=True):
        dropped.setdefault(n, set()).add(g)
    kept_pairs = by_key[kept[by_key]]

    is_lead = np.zeros(pairs, dtype=bool)
    is_lead[lead] = True
    lead_arcs = np.flatnonzero(is_lead[sig_pair])
    out_order = lead_arcs[
        np.lexsort((sig_cost[lead_arcs], sig_resource[lead_arcs], pair_key[sig_pair[lead_arcs]]))
    ]
    return GroupArcs(
        keys=keys,
        kept_key=pair_key[kept_pairs],
        kept_need=pair_need[kept_pairs],
        out_key=pair_key[sig_pair[out_order]],
        out_resource=sig_resource[out_order],
        out_cost=sig_cost[out_order],
        dropped=dropped,
    )


def _first_appearance_ids(*columns: Ints) -> tuple[Ints, int]:
    """An id per row for its tuple of column values, numbered in the order the tuples first appear."""
    rows = len(columns[0])
    order = np.lexsort(columns[::-1])  # stable: equal tuples keep their order, the first one leads
    starts = np.zeros(rows, dtype=bool)
    starts[:1] = True
    for column in columns:
        ordered = column[order]
        starts[1:] |= ordered[1:] != ordered[:-1]
    first_rows = order[starts]
    rank = np.empty(len(first_rows), dtype=np.int64)
    rank[np.argsort(first_rows, kind="stable")] = np.arange(len(first_rows))
    ids = np.empty(rows, dtype=np.int64)
    ids[order] = rank[np.cumsum(starts) - 1]
    return ids, len(first_rows)


def _run_starts(sorted_values: Ints) -> Ints:
    """Where each run of equal values starts in a sorted array."""
    if len(sorted_values) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
