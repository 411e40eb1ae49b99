"""Optimal monotone merge of ordered pre-bins, solved exactly on their counts.

The problem: given ``m`` ordered pre-bins with good counts ``g`` and bad counts ``b``, group
them into contiguous bins that maximise the information value

    IV = Σ_bins (g_k/G − b_k/B) · ln((g_k/G) / (b_k/B))

subject to (1) the bad rate strictly increasing (or strictly decreasing) from bin to bin,
measured as the smoothed bad:good odds ``(b + ½)/(g + ½)``, so that the smoothed WoE the
binner reports is itself strictly monotone (raw rates could disagree on tiny bins),
(2) every bin holding at least ``min_count`` rows, (3) at most ``max_bins`` bins.

IV is a sum over bins and the constraints only link neighbouring bins, so dynamic programming
solves it exactly. Let ``F[k, i, j]`` be the best IV of pre-bins ``0..j`` cut into ``k`` bins
whose last bin is ``i..j``. Then

    F[1, 0, j] = iv(0, j)                                   if bin 0..j is large enough
    F[k, i, j] = iv(i, j) + max { F[k-1, h, i-1] : rate(h, i-1) < rate(i, j) }

and the answer is the best ``F[k, i, m-1]`` over ``k ≤ max_bins``. For fixed ``i`` the inner
maximum is taken for every ``k`` and ``j`` at once as a masked ``(k × h × j)`` array (row ``i``
needs only rows ``h < i``, of one bin fewer), so the work is ``m`` small NumPy operations
(``O(max_bins · m³)`` arithmetic, a few milliseconds for ``m = 50``) instead of a Python loop
over ``m³`` states; looping over ``k`` as well made a 20-column scorecard fit at 100 pre-bins
spend about twice as long in the solver. Mixed-integer solvers (as
optbinning uses) are not needed for this constraint set; the DP is exact and dependency-free.

Ties are broken deterministically: fewer bins first, then the earliest split.

Peak and valley shapes (``trend="peak"``: the bad rate rises, then falls; ``"valley"``: falls,
then rises) add one bit to the state — before or after the turn — so the same recursion solves
them exactly at twice the work: a bin after the turn may follow a bin before it or after it,
and must move the rate in the second direction; a solution must have turned.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["SMOOTHING", "TRENDS", "Trend", "monotone_merge", "smoothed_woe"]

Trend = Literal["increasing", "decreasing", "peak", "valley"]
TRENDS: tuple[str, ...] = ("increasing", "decreasing", "peak", "valley")

# Added to good and bad counts before a WoE is taken, so a bin with no goods or no bads gets a
# large but finite WoE (a half-observation, the Jeffreys-style correction) instead of ±inf.
SMOOTHING = 0.5


def smoothed_woe(goods: np.ndarray, bads: np.ndarray, total_goods: float,
                 total_bads: float) -> np.ndarray:
    """``ln(share of goods / share of bads)``, higher = safer, with :data:`SMOOTHING`."""
    g = (np.asarray(goods, dtype=np.float64) + SMOOTHING) / (total_goods + SMOOTHING)
    b = (np.asarray(bads, dtype=np.float64) + SMOOTHING) / (total_bads + SMOOTHING)
    return np.log(g / b)


def monotone_merge(
    goods: np.ndarray,
    bads: np.ndarray,
    *,
    trend: Trend,
    min_count: float,
    max_bins: int,
) -> tuple[np.ndarray, float]:
    """Best grouping of ordered pre-bins; returns (end index of each bin, its IV).

    ``trend`` is how the *bad rate* moves from the first pre-bin to the last. When no grouping
    meets the constraints (e.g. too few rows for two bins) the answer is one bin; for a peak or
    a valley, when no grouping turns, the answer is also one bin with IV 0.
    """
    if trend in ("peak", "valley"):
        return _turning_merge(goods, bads, trend=trend, min_count=min_count, max_bins=max_bins)
    g = np.asarray(goods, dtype=np.float64)
    b = np.asarray(bads, dtype=np.float64)
    m = g.size
    if m == 0:
        return np.empty(0, dtype=np.int64), 0.0
    total_g, total_b = max(g.sum(), 1.0), max(b.sum(), 1.0)
    cg = np.concatenate([[0.0], np.cumsum(g)])
    cb = np.concatenate([[0.0], np.cumsum(b)])
    # segment tables, [i, j] = pre-bins i..j (upper triangle)
    seg_g = cg[None, 1:] - cg[:-1, None]
    seg_b = cb[None, 1:] - cb[:-1, None]
    seg_n = seg_g + seg_b
    upper = np.triu(np.ones((m, m), dtype=bool))
    valid = upper & (seg_n >= max(min_count, 1.0))
    rate = (seg_b + SMOOTHING) / (seg_g + SMOOTHING)
    with np.errstate(invalid="ignore", divide="ignore"):  # lower triangle: unused, negative
        woe = smoothed_woe(seg_g, seg_b, total_g, total_b)
    iv = np.where(valid, (seg_g / total_g - seg_b / total_b) * woe, -np.inf)

    sign = 1.0 if trend == "increasing" else -1.0
    k_max = max(1, int(max_bins))
    f = np.full((k_max + 1, m, m), -np.inf)
    arg = np.full((k_max + 1, m, m), -1, dtype=np.int64)  # first pre-bin h of the bin before
    f[1, 0, :] = iv[0, :]
    best = (1, 0)
    best_val = f[1, 0, m - 1]
    for i in range(1, m):  # every bin count k at once: F[k, i, .] needs only F[k-1, h < i, .]
        prev = f[1:k_max, :i, i - 1]                       # (k, h): bins ending at i - 1
        if not np.isfinite(prev).any():
            continue
        ok = (sign * rate[:i, i - 1])[:, None] < (sign * rate[i, i:])[None, :]   # (h, j)
        cand = np.where(ok[None], prev[:, :, None], -np.inf)
        h = np.argmax(cand, axis=1)                        # first best: the earliest h
        top = cand.max(axis=1)                             # its value (cheaper than a gather)
        f[2:, i, i:] = np.where(valid[i, i:], iv[i, i:] + top, -np.inf)
        arg[2:, i, i:] = h
    for k in range(2, k_max + 1):
        col = f[k, :, m - 1]
        i_star = int(np.argmax(col))
        if col[i_star] > best_val + 1e-12:
            best, best_val = (k, i_star), col[i_star]
    if not np.isfinite(best_val):
        return np.array([m - 1], dtype=np.int64), 0.0
    ends = [m - 1]
    k, i = best
    while k > 1:
        h = int(arg[k, i, ends[-1]])
        ends.append(i - 1)
        k, i = k - 1, h
    return np.array(ends[::-1], dtype=np.int64), float(best_val)


def _segments(g: np.ndarray, b: np.ndarray, min_count: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(valid, rate, iv)`` of every segment ``i..j`` of the pre-bins (upper triangle)."""
    m = g.size
    total_g, total_b = max(g.sum(), 1.0), max(b.sum(), 1.0)
    cg = np.concatenate([[0.0], np.cumsum(g)])
    cb = np.concatenate([[0.0], np.cumsum(b)])
    seg_g = cg[None, 1:] - cg[:-1, None]
    seg_b = cb[None, 1:] - cb[:-1, None]
    valid = np.triu(np.ones((m, m), dtype=bool)) & (seg_g + seg_b >= max(min_count, 1.0))
    rate = (seg_b + SMOOTHING) / (seg_g + SMOOTHING)
    with np.errstate(invalid="ignore", divide="ignore"):
        woe = smoothed_woe(seg_g, seg_b, total_g, total_b)
    iv = np.where(valid, (seg_g / total_g - seg_b / total_b) * woe, -np.inf)
    return valid, rate, iv


def _turning_merge(goods: np.ndarray, bads: np.ndarray, *, trend: str, min_count: float,
                   max_bins: int) -> tuple[np.ndarray, float]:
    g = np.asarray(goods, dtype=np.float64)
    b = np.asarray(bads, dtype=np.float64)
    m = g.size
    if m < 3 or max_bins < 3:
        return np.array([max(m - 1, 0)], dtype=np.int64)[:1 if m else 0], 0.0
    valid, rate, iv = _segments(g, b, min_count)
    s0, s1 = (1.0, -1.0) if trend == "peak" else (-1.0, 1.0)
    k_max = int(max_bins)
    f0 = np.full((k_max + 1, m, m), -np.inf)    # before the turn
    f1 = np.full((k_max + 1, m, m), -np.inf)    # after it
    arg = np.full((2, k_max + 1, m, m), -1, dtype=np.int64)
    came = np.zeros((k_max + 1, m, m), dtype=np.int8)  # phase of the bin before an f1 bin
    f0[1, 0, :] = iv[0, :]
    best: tuple[int, int] | None = None
    best_val = -np.inf
    for i in range(1, m):  # every bin count k at once, as in monotone_merge
        p0, p1 = f0[1:k_max, :i, i - 1], f1[1:k_max, :i, i - 1]      # (k, h)
        if not (np.isfinite(p0).any() or np.isfinite(p1).any()):
            continue
        up0 = ((s0 * rate[:i, i - 1])[:, None] < (s0 * rate[i, i:])[None, :])[None]
        up1 = ((s1 * rate[:i, i - 1])[:, None] < (s1 * rate[i, i:])[None, :])[None]
        ok = valid[i, i:]
        c0 = np.where(up0, p0[:, :, None], -np.inf)
        h0, t0 = np.argmax(c0, axis=1), c0.max(axis=1)
        f0[2:, i, i:] = np.where(ok, iv[i, i:] + t0, -np.inf)
        arg[0, 2:, i, i:] = h0
        # after the turn: from a bin before it (the turn) or after it, moving the other way
        ca = np.where(up1, p0[:, :, None], -np.inf)
        cb = np.where(up1, p1[:, :, None], -np.inf)
        ha, hb = np.argmax(ca, axis=1), np.argmax(cb, axis=1)
        ta, tb = ca.max(axis=1), cb.max(axis=1)
        from_after = tb > ta
        f1[2:, i, i:] = np.where(ok, iv[i, i:] + np.maximum(ta, tb), -np.inf)
        arg[1, 2:, i, i:] = np.where(from_after, hb, ha)
        came[2:, i, i:] = from_after
    for k in range(2, k_max + 1):
        col = f1[k, :, m - 1]
        i_star = int(np.argmax(col))
        if col[i_star] > best_val + 1e-12:
            best, best_val = (k, i_star), col[i_star]
    if best is None or not np.isfinite(best_val):
        return np.array([m - 1], dtype=np.int64), 0.0
    ends = [m - 1]
    k, i = best
    phase = 1
    while k > 1:
        j = ends[-1]
        h = int(arg[phase, k, i, j])
        if phase == 1:
            phase = int(came[k, i, j])
        ends.append(i - 1)
        k, i = k - 1, h
    return np.array(ends[::-1], dtype=np.int64), float(best_val)
