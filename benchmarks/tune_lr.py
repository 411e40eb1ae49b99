"""Rank candidate learning rates of the challenger on the populations' splits.

    python -m benchmarks.tune_lr 0.05,0.1 results.json

Each learning rate is fitted (early stopping by the challenger's own cross-validation) on the
same 5 stratified 70/30 splits of every set as ``bench_populations``, every column allowed;
prints the mean AUC, log-loss, calibration slope, fit seconds and round count per set and rate
and writes every split's metrics to the JSON file. The table in docs/models.md comes from it.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from benchmarks.bench_populations import SETS, load_set, metrics, stratified_test
from benne.models import TrainSettings, train_challenger


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    rates = [float(s) for s in args[0].split(",")]
    out: dict[str, dict[str, list[dict[str, float]]]] = {}
    for name in SETS:
        full, meta, first = load_set(name)
        y = full["target"].to_numpy()
        tests = [first] + [stratified_test(y, seed) for seed in range(1, 5)]
        special = tuple(float(v) for v in meta.get("special_values") or [])
        for rate in rates:
            settings = TrainSettings(special_values=special, allow_protected=True,
                                     challenger_learning_rate=rate)
            rows = []
            for test in tests:
                t0 = time.perf_counter()
                model = train_challenger(full[~test].reset_index(drop=True), "target",
                                         settings=settings)
                p = model.predict_pd(full[test].drop(columns=["target"]).reset_index(drop=True))
                rows.append({**metrics(y[test], p), "fit_s": time.perf_counter() - t0,
                             "rounds": float(model.best_iteration)})
            out.setdefault(name, {})[str(rate)] = rows
            print(name, rate, *(round(float(np.mean([r[k] for r in rows])), 5)
                                for k in ("auc", "logloss", "slope", "fit_s", "rounds")),
                  flush=True)
    with open(args[1], "w") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
