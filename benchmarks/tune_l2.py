"""Rank candidate ridge penalties of the scorecard on the populations' splits.

    python -m benchmarks.tune_l2 0.0003,0.001,0.003 results.json

Each share of the smaller class (``benne.models.estimators.L2_SHARE``) is fitted on the same
5 stratified 70/30 splits of every set as ``bench_populations`` (the scorecard alone, every
column allowed); prints the mean AUC, log-loss and calibration slope per set and share and
writes every split's metrics to the JSON file. The ranks in docs/models.md come from it.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

import benne.models.estimators as estimators
from benchmarks.bench_populations import SETS, load_set, metrics, stratified_test
from benne.models import TrainSettings, train_scorecard


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    shares = [float(s) for s in args[0].split(",")]
    out: dict[str, dict[str, list[dict[str, float]]]] = {}
    for name in SETS:
        full, meta, first = load_set(name)
        y = full["target"].to_numpy()
        tests = [first] + [stratified_test(y, seed) for seed in range(1, 5)]
        special = tuple(float(v) for v in meta.get("special_values") or [])
        settings = TrainSettings(special_values=special, allow_protected=True)
        for share in shares:
            estimators.L2_SHARE = share
            rows = []
            for test in tests:
                t0 = time.perf_counter()
                model = train_scorecard(full[~test].reset_index(drop=True), "target",
                                        settings=settings)
                p = model.predict_pd(full[test].drop(columns=["target"]).reset_index(drop=True))
                rows.append({**metrics(y[test], p), "fit_s": time.perf_counter() - t0})
            out.setdefault(name, {})[str(share)] = rows
            print(name, share, *(round(float(np.mean([r[k] for r in rows])), 5)
                                 for k in ("auc", "logloss", "slope")), flush=True)
    with open(args[1], "w") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
