"""Near misses between words: the edit distance and the deletion neighbourhood both fuzzy checks use
(source text garbles, schema names).

Invariant: an adjacent swap counts as one edit (`algn`/`align`, `aling`/`align`), and two words within
`d` edits share a key of their depth-`d` deletion neighbourhoods.
"""

from __future__ import annotations


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment: insertions, deletions, substitutions, adjacent swaps; with `limit`,
    `limit + 1` as soon as the distance must exceed it."""
    cap = max(len(a), len(b)) if limit is None else limit
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > cap and min(previous) > cap:  # a swap reaches back one row
            return cap + 1
        before, previous = previous, current
    return min(previous[-1], cap + 1)


def deletions(word: str, depth: int) -> set[str]:
    """`word` with up to `depth` characters deleted: the keys of a deletion index."""
    found, frontier = {word}, {word}
    for _ in range(max(depth, 0)):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found
