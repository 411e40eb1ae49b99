"""The Merkle tree of Certificate Transparency (RFC 6962, RFC 9162 section 2.1), as pure functions.

Definitions (``||`` is concatenation, hashes are SHA-256, ``D[a:b]`` the leaves ``a..b-1``)::

    MTH({})      = SHA-256()                              the empty tree
    leaf hash    = SHA-256(0x00 || leaf)
    node hash    = SHA-256(0x01 || left || right)
    MTH(D[0:n])  = node(MTH(D[0:k]), MTH(D[k:n]))         k = largest power of two < n

The distinct prefixes keep a leaf from passing for a node (second preimages). A tree is stored
as its leaf hashes plus, as a cache, the hashes of its *perfect* subtrees: the node at
``(level, index)`` covers leaves ``[index * 2**level, (index + 1) * 2**level)``. Every range the
RFC's recursion visits is a perfect subtree or a right edge ``[a, b)`` with ``a`` aligned to a
power of two at least ``b - a``; such a range is a few perfect subtrees folded from the right
(:func:`range_nodes`). So a root, an inclusion proof or a consistency proof of a tree of any
size reads ``O(log n)`` stored nodes, and appending a leaf computes ``O(1)`` hashes on average
(:class:`Frontier`).

Proof layouts and the verification algorithms are those of RFC 9162 sections 2.1.3 and 2.1.4,
which produce and accept the same proofs as RFC 6962 and the Go implementations
(github.com/transparency-dev/merkle); the tests check them against their published vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "NodeRef",
    "consistency_ranges",
    "fold",
    "frontier_nodes",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "range_nodes",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

NodeRef = tuple[int, int]
"""``(level, index)`` of a perfect subtree: leaves ``[index << level, (index + 1) << level)``."""

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeRef]:
    """The perfect subtrees that make up ``D[start:end]``, left to right (largest first).

    ``start`` must be aligned to the highest power of two in ``end - start``, which holds for
    every range of the RFC's recursion; ``MTH(D[start:end])`` is then :func:`fold` of them.
    """
    if not 0 <= start < end:
        raise ValueError(f"not a range of leaves: [{start}, {end})")
    out: list[NodeRef] = []
    size = end - start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            if start % (1 << level):
                raise ValueError(f"[{start}, {end}) is not aligned for a subtree of level {level}")
            out.append((level, start >> level))
            start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of adjacent subtrees, largest first, folded from the right as the RFC nests them."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def frontier_nodes(size: int) -> list[NodeRef]:
    """The perfect subtrees of a tree of ``size`` leaves (its compact range), largest first."""
    return range_nodes(0, size) if size else []


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form the inclusion proof of leaf ``index`` (RFC 9162 2.1.3.1).

    In proof order: the sibling nearest the leaf first.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form the consistency proof from ``first`` to ``second`` leaves.

    RFC 9162 2.1.4.1 (SUBPROOF); empty when ``first`` is 0 or equals ``second``.
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    out: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, second, first, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        out.append((lo, hi))
    out.reverse()
    return out


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """``MTH`` of a whole list of leaf hashes, in one pass (used to check a stored tree)."""
    frontier = Frontier()
    for h in hashes:
        frontier.push(h)
    return frontier.root()


class Frontier:
    """The compact range of a growing tree: the hashes of its perfect subtrees, largest first.

    :meth:`push` appends a leaf hash and returns the subtrees it completes, ``(level, hash)``
    for levels 1, 2, ...; :meth:`root` is the tree's ``MTH``. Amortised one node hash a leaf.
    """

    def __init__(self, nodes: Iterable[tuple[int, bytes]] = (), size: int = 0) -> None:
        self.nodes: list[tuple[int, bytes]] = list(nodes)
        self.size = size
        if sum(1 << level for level, _ in self.nodes) != size:
            raise ValueError(f"the frontier's subtrees do not add up to {size} leaves")

    def push(self, leaf: bytes) -> list[tuple[int, bytes]]:
        completed: list[tuple[int, bytes]] = []
        level, h = 0, leaf
        while self.nodes and self.nodes[-1][0] == level:
            _, left = self.nodes.pop()
            level, h = level + 1, node_hash(left, h)
            completed.append((level, h))
        self.nodes.append((level, h))
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold([h for _, h in self.nodes])

    def copy(self) -> Frontier:
        return Frontier(self.nodes, self.size)


def _shift_while(fn: int, sn: int, cond: Callable[[int], bool]) -> tuple[int, int]:
    while cond(fn):
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree ``(size, root)``.

    RFC 9162 section 2.1.3.2.
    """
    if not 0 <= index < size or any(len(p) != 32 for p in proof) or len(leaf) != 32:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _shift_while(fn, sn, lambda f: not f & 1 and f != 0)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(second, second_root)`` extends ``(first, first_root)``.

    RFC 9162 section 2.1.4.2, with the trivial cases of the Go verifier: a tree of size 0 is
    extended by every tree (empty proof), and a tree by itself (empty proof, equal roots).
    """
    if not 0 <= first <= second or any(len(p) != 32 for p in proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    fn, sn = _shift_while(fn, sn, lambda f: bool(f & 1))
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _shift_while(fn, sn, lambda f: not f & 1 and f != 0)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
