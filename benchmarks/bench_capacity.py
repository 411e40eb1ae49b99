"""Capacity: simulate → ingest → features → train → score, end to end, as the population grows.

DuckDB at 100,000, 300,000 and 1,000,000 people, Spark local mode at 1,000,000 (``--quick``:
1,000 / 2,000 / 4,000 and Spark at 2,000, a smoke test whose times are mostly fixed costs).
Each size runs in its own process, every stage timed; the peak memory is that process's
resident set after each stage (for Spark, the driver's Python; the JVM is sized by
``spark.driver.memory``). The growth exponent of a stage
is ``log(t_large / t_small) / log(n_large / n_small)`` between the smallest and the largest
DuckDB size: 1 is linear. The per-stage throughput (people per second) is what
docs/scaling.md turns into a cluster size for 300 million people.

Stages: ``simulate`` and ``ingest`` as ``benne demo`` runs them; ``features`` everyone's
features as of the training date; ``train`` the scorecard (``benne train``; challenger off, it
trains on a sample at scale); ``score`` everyone as of a later date (features + scores table;
on Spark written as partitioned Parquet).

    python -m benchmarks.bench_capacity [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES = {False: (100_000, 300_000, 1_000_000), True: (1_000, 2_000, 4_000)}
SPARK_SIZE = {False: 1_000_000, True: 2_000}
STAGES = ("simulate", "ingest", "features", "train", "score")
AS_OF, LATER = dt.date(2024, 10, 1), dt.date(2025, 1, 1)


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def child(engine: str, people: int, folder: Path) -> dict[str, Any]:
    """Every stage at one size on one engine: seconds and peak GiB after each."""
    from benne.ingest import ingest
    from benne.simulate import simulate

    out: dict[str, Any] = {"engine": engine, "people": people, "seconds": {}, "peak_gib": {}}

    def timed(stage: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        result = fn()
        out["seconds"][stage] = time.perf_counter() - t0
        out["peak_gib"][stage] = _rss_gib()
        return result

    store = folder / "benne.duckdb"
    timed("simulate", lambda: simulate(people, folder / "sources", seed=1))
    timed("ingest", lambda: ingest([folder / "sources"], None, store,
                                   now=dt.datetime(2026, 1, 1)))
    if engine == "duckdb":
        from benne.features import compute_features
        from benne.pipeline import train_from_store
        from benne.scoring import score_frame

        timed("features", lambda: compute_features(store, AS_OF).num_rows)
        trained = timed("train", lambda: train_from_store(store, AS_OF, challenger=False))

        def score() -> int:
            frame = compute_features(store, LATER).to_pandas()
            return len(score_frame(trained.models, frame, passthrough=["person_id"]))

        timed("score", score)
    else:
        from benne.features.api import export_store_to_lake
        from benne.features.engines import SparkEngine
        from benne.models import save_model
        from benne.pipeline.scaled import score_on_spark, train_counted_from_store
        from benne.scale.session import spark_session

        session = spark_session()
        lake = folder / "lake"
        export_store_to_lake(store, lake)

        def features() -> int:
            engine = SparkEngine(lake, session=session)
            catalog = engine.catalog()
            df = engine.features_frame(catalog.resolve(None), AS_OF, catalog=catalog)
            df.write.mode("overwrite").parquet(str(folder / "features"))
            return int(session.read.parquet(str(folder / "features")).count())

        timed("features", features)
        trained = timed("train", lambda: train_counted_from_store(
            store, AS_OF, challenger=False, engine="spark", lake=lake, session=session))
        save_model(trained.models, folder / "model", manifest_extra=trained.manifest_extra)
        timed("score", lambda: score_on_spark(folder / "model", folder / "scores", db=store,
                                              as_of=LATER, lake=lake, session=session))
    return out


def _run_child(engine: str, people: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="benne-capacity-") as tmp:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_capacity", "--child",
                               engine, str(people), tmp], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{engine} at {people:,} people failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> str:
    sizes = SIZES[quick]
    duck = [_run_child("duckdb", n) for n in sizes]
    spark = _run_child("spark", SPARK_SIZE[quick])
    lines = ["## capacity", "",
             "simulate → ingest → features → train → score, each size in its own process "
             "(seconds; peak resident GiB of the process in brackets).", "",
             "| engine | people | " + " | ".join(STAGES) + " |",
             "|---|---:|" + "---:|" * len(STAGES)]
    for r in [*duck, spark]:
        cells = [f"{r['seconds'][s]:.1f} ({r['peak_gib'][s]:.2f})" for s in STAGES]
        lines.append(f"| {r['engine']} | {r['people']:,} | " + " | ".join(cells) + " |")
    small, large = duck[0], duck[-1]
    ratio = math.log(large["people"] / small["people"])
    exps = [math.log(max(large["seconds"][s], 1e-6) / max(small["seconds"][s], 1e-6)) / ratio
            for s in STAGES]
    lines += ["", f"Growth exponent {small['people']:,} → {large['people']:,} people on DuckDB "
              "(1 = linear): " + ", ".join(f"{s} {e:.2f}" for s, e in zip(STAGES, exps,
                                                                           strict=True)) + ".",
              "", "Throughput at the largest size (people per second): "
              + ", ".join(f"{s} {large['people'] / large['seconds'][s]:,.0f}" for s in STAGES)
              + f" on DuckDB; Spark local at {spark['people']:,}: "
              + ", ".join(f"{s} {spark['people'] / spark['seconds'][s]:,.0f}" for s in STAGES)
              + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", nargs=3, metavar=("ENGINE", "PEOPLE", "FOLDER"))
    args = ap.parse_args(argv)
    if args.child:
        engine, people, folder = args.child
        print(json.dumps(child(engine, int(people), Path(folder))))
        return 0
    print(run(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
