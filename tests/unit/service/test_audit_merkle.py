"""The Merkle tree maths: published RFC 6962 vectors, and a literal reference on random trees."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benne.service import merkle

# The vectors are copied from github.com/transparency-dev/merkle: proof/verify_test.go (roots,
# inclusion and consistency proofs over eight leaves, originally Certificate Transparency's
# reference tests) and rfc6962/rfc6962_test.go (the hasher); the corruptions probed below are
# those of verify_test.go's corruptInclusionProof and corruptConsistencyProof.
VECTORS = json.loads((Path(__file__).parent / "data" / "rfc6962_vectors.json").read_text())
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


# --- the reference: RFC 6962 section 2.1, transcribed literally and recursively -------------

def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True) if 0 < m < len(d) else []


# --- the implementation under test, driven as the service drives it --------------------------

def tree_nodes(leaves: list[bytes]) -> dict[merkle.NodeRef, bytes]:
    """Every perfect subtree's hash, built with the Frontier as appends build the stored cache."""
    nodes: dict[merkle.NodeRef, bytes] = {}
    frontier = merkle.Frontier()
    for i, leaf in enumerate(leaves):
        h = merkle.leaf_hash(leaf)
        nodes[(0, i)] = h
        for level, node in frontier.push(h):
            nodes[(level, ((i + 1) >> level) - 1)] = node
    return nodes


def range_hash(nodes: dict[merkle.NodeRef, bytes], start: int, end: int) -> bytes:
    return merkle.fold([nodes[ref] for ref in merkle.range_nodes(start, end)])


def inclusion_proof(leaves: list[bytes], index: int, size: int) -> list[bytes]:
    nodes = tree_nodes(leaves[:size])
    return [range_hash(nodes, a, b) for a, b in merkle.inclusion_ranges(index, size)]


def consistency_proof(leaves: list[bytes], first: int, second: int) -> list[bytes]:
    nodes = tree_nodes(leaves[:second])
    return [range_hash(nodes, a, b) for a, b in merkle.consistency_ranges(first, second)]


def root(leaves: list[bytes]) -> bytes:
    nodes = tree_nodes(leaves)
    return range_hash(nodes, 0, len(leaves)) if leaves else merkle.EMPTY_ROOT


# --- published vectors ------------------------------------------------------------------------

def test_hasher_vectors() -> None:
    h = VECTORS["hasher"]
    assert merkle.EMPTY_ROOT.hex() == h["empty_root"]
    assert merkle.leaf_hash(b"").hex() == h["empty_leaf"]
    assert merkle.leaf_hash(b"L123456").hex() == h["leaf_L123456"]
    assert merkle.node_hash(b"N123", b"N456").hex() == h["node_N123_N456"]


def test_roots_of_every_prefix_match_the_vectors() -> None:
    for n in range(1, 9):
        assert root(LEAVES[:n]) == ROOTS[n - 1], n
        hashes = [merkle.leaf_hash(x) for x in LEAVES[:n]]
        assert merkle.root_from_leaf_hashes(hashes) == ROOTS[n - 1]
    assert merkle.root_from_leaf_hashes([]) == merkle.EMPTY_ROOT


@pytest.mark.parametrize("vector", VECTORS["inclusion"],
                         ids=lambda v: f"{v['leaf']}-of-{v['size']}")
def test_inclusion_vectors(vector: dict) -> None:
    index, size = vector["leaf"] - 1, vector["size"]
    proof = [bytes.fromhex(p) for p in vector["proof"]]
    assert inclusion_proof(LEAVES, index, size) == proof
    leaf = merkle.leaf_hash(LEAVES[index])
    root_ = ROOTS[size - 1]
    assert merkle.verify_inclusion(leaf, index, size, proof, root_)
    # the corruptions of the Go verifier's tests: each must be refused
    probes = [
        (index - 1, size, root_, leaf, proof), (index + 1, size, root_, leaf, proof),
        (index ^ 2, size, root_, leaf, proof), (index, size * 2, root_, leaf, proof),
        (index, size // 2, root_, leaf, proof),
        (index, size, root_, merkle.leaf_hash(b"WrongLeaf"), proof),
        (index, size, merkle.EMPTY_ROOT, leaf, proof), (index, size, SOME_HASH, leaf, proof),
        (index, size, root_, leaf, [*proof, b""]), (index, size, root_, leaf, [*proof, root_]),
        (index, size, root_, leaf, [b"", *proof]), (index, size, root_, leaf, [root_, *proof]),
    ]
    for i in range(len(proof)):
        flipped = [bytearray(p) for p in proof]
        flipped[i][0] ^= 8
        probes.append((index, size, root_, leaf, [bytes(p) for p in flipped]))
    if proof:
        probes.append((index, size, root_, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root_, leaf, [SOME_HASH, proof[0], *proof[1:]]))
    for i_, s_, r_, l_, p_ in probes:
        assert not merkle.verify_inclusion(l_, i_, s_, p_, r_), (i_, s_)


@pytest.mark.parametrize("vector", VECTORS["consistency"],
                         ids=lambda v: f"{v['size1']}-to-{v['size2']}")
def test_consistency_vectors(vector: dict) -> None:
    m, n = vector["size1"], vector["size2"]
    proof = [bytes.fromhex(p) for p in vector["proof"]]
    assert consistency_proof(LEAVES, m, n) == proof
    r1, r2 = ROOTS[m - 1], ROOTS[n - 1]
    assert merkle.verify_consistency(m, n, r1, r2, proof)
    if not proof:
        return
    probes = [
        (m - 1, n, r1, r2, proof), (m + 1, n, r1, r2, proof), (m ^ 2, n, r1, r2, proof),
        (m, n * 2, r1, r2, proof), (m, n // 2, r1, r2, proof),
        (m, n, b"WrongRoot", r2, proof), (m, n, r1, b"WrongRoot", proof), (m, n, r2, r1, proof),
        (m, n, r1, r2, []), (m, n, r1, r2, [*proof, b""]), (m, n, r1, r2, [*proof, r1]),
        (m, n, r1, r2, [*proof, r2]), (m, n, r1, r2, [b"", *proof]),
        (m, n, r1, r2, [r1, *proof]), (m, n, r1, r2, [r2, *proof]),
        (m, n, r1, r2, [proof[0], *proof]), (m, n, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = [bytearray(p) for p in proof]
        flipped[i][0] ^= 16
        probes.append((m, n, r1, r2, [bytes(p) for p in flipped]))
    for m_, n_, a, b, p in probes:
        assert not merkle.verify_consistency(m_, n_, a, b, p), (m_, n_)


def test_trivial_consistency_cases_of_the_go_verifier() -> None:
    r1, r2, empty = b"don't care 1", b"don't care 2", merkle.EMPTY_ROOT
    assert merkle.verify_consistency(0, 0, r1, r1, [])
    assert merkle.verify_consistency(0, 1, r1, r2, [])
    assert merkle.verify_consistency(1, 1, r2, r2, [])
    for args in [(0, 0, r1, r2, []), (1, 1, r1, r2, []), (1, 0, r1, r2, []), (2, 1, r1, r2, []),
                 (1, 2, r1, r2, []), (0, 0, empty, r2, []), (1, 1, empty, r2, []),
                 (0, 0, empty, empty, [empty]), (0, 1, empty, empty, [empty]),
                 (1, 1, empty, empty, [empty])]:
        assert not merkle.verify_consistency(*args), args


# --- against the literal reference, on random trees -------------------------------------------

leaf_lists = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


@settings(derandomize=True, max_examples=150)
@given(leaf_lists, st.data())
def test_roots_and_proofs_equal_the_reference(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    assert root(leaves) == ref_mth(leaves)
    index = data.draw(st.integers(0, n - 1))
    proof = inclusion_proof(leaves, index, n)
    assert proof == ref_path(index, leaves)
    leaf = merkle.leaf_hash(leaves[index])
    assert merkle.verify_inclusion(leaf, index, n, proof, ref_mth(leaves))
    m = data.draw(st.integers(0, n))
    cproof = consistency_proof(leaves, m, n)
    assert cproof == ref_proof(m, leaves)
    first_root = ref_mth(leaves[:m])
    assert merkle.verify_consistency(m, n, first_root, ref_mth(leaves), cproof)


@settings(derandomize=True, max_examples=150)
@given(leaf_lists, st.data())
def test_a_changed_leaf_fails_both_proofs(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    m = data.draw(st.integers(1, n))
    i = data.draw(st.integers(0, m - 1))
    changed = list(leaves)
    changed[i] = leaves[i] + b"!"
    old_root = ref_mth(leaves[:m])
    assert not merkle.verify_consistency(m, n, old_root, ref_mth(changed),
                                         consistency_proof(changed, m, n))
    assert not merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), i, n,
                                       inclusion_proof(changed, i, n), ref_mth(changed))


def test_range_nodes_refuses_unaligned_ranges() -> None:
    assert merkle.range_nodes(8, 13) == [(2, 2), (0, 12)]
    with pytest.raises(ValueError):
        merkle.range_nodes(2, 7)
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(5, 5)
