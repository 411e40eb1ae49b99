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
    python -m benchmarks.bench_capacity --runs benchmarks/results/capacity.json \
        --engine spark --people 1000000          # one size, kept beside the others
    python -m benchmarks.bench_capacity --runs benchmarks/results/capacity.json --render
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
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


def _cpu_s() -> float:
    """User + system seconds of this process and its finished children."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def child(engine: str, people: int, folder: Path) -> dict[str, Any]:
    """Every stage at one size on one engine: seconds and peak GiB after each."""
    from benne.ingest import ingest
    from benne.simulate import simulate

    out: dict[str, Any] = {"engine": engine, "people": people, "seconds": {}, "cpu": {},
                           "peak_gib": {}, "load_before": os.getloadavg()[0]}

    def timed(stage: str, fn: Any) -> Any:
        t0, c0 = time.perf_counter(), _cpu_s()
        result = fn()
        out["seconds"][stage] = time.perf_counter() - t0
        out["cpu"][stage] = _cpu_s() - c0
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
    out["load_after"] = os.getloadavg()[0]
    out["finished"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return out


def _run_child(engine: str, people: int, keep: Path | None = None) -> dict[str, Any]:
    """One size in its own process, in a temporary folder (or ``keep``/<engine>-<people>)."""
    with tempfile.TemporaryDirectory(prefix="benne-capacity-") as tmp:
        folder = Path(tmp) if keep is None else keep / f"{engine}-{people}"
        folder.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_capacity", "--child",
                               engine, str(people), str(folder)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{engine} at {people:,} people failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def _key(engine: str, people: int) -> str:
    return f"{engine}:{people}"


def _load(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def measure(runs: Path | None, quick: bool, engines: tuple[str, ...],
            sizes: tuple[int, ...] | None, keep: Path | None = None) -> dict[str, Any]:
    """Run the missing children and keep each result in ``runs`` (JSON) as it finishes.

    Sizes can be measured one at a time (``--engine duckdb --people 1000000``), so a long run
    resumes where it stopped and a size can be re-measured on a quieter machine.
    """
    done = _load(runs)
    wanted = [("duckdb", n) for n in (sizes or SIZES[quick]) if "duckdb" in engines]
    if "spark" in engines:
        wanted += [("spark", n) for n in (sizes or (SPARK_SIZE[quick],))]
    for engine, people in wanted:
        print(f"capacity: {engine} at {people:,} people ...", file=sys.stderr, flush=True)
        done[_key(engine, people)] = _run_child(engine, people, keep)
        if runs is not None:
            runs.write_text(json.dumps(done, indent=1, sort_keys=True), encoding="utf-8")
    return done


def _exponent(small: dict[str, Any], large: dict[str, Any], field: str, stage: str) -> float:
    ratio = math.log(large["people"] / small["people"])
    return math.log(max(large[field][stage], 1e-6) / max(small[field][stage], 1e-6)) / ratio


def render(done: dict[str, Any], quick: bool) -> str:
    duck = [done[_key("duckdb", n)] for n in SIZES[quick] if _key("duckdb", n) in done]
    spark = [r for k, r in sorted(done.items()) if k.startswith("spark:")]
    lines = ["## capacity", "",
             "`python -m benchmarks.bench_capacity`: simulate → ingest → features → train → "
             "score, each size in its own process. Wall seconds, then CPU seconds (user + "
             "system of the process and its children: steadier than wall time on a shared "
             "machine; for Spark only the Python driver's), then the peak resident GiB.", "",
             "| engine | people | " + " | ".join(STAGES) + " | load before → after | finished |",
             "|---|---:|" + "---:|" * len(STAGES) + "---|---|"]
    for r in [*duck, *spark]:
        cells = [f"{r['seconds'][s]:.1f} s · {r.get('cpu', {}).get(s, float('nan')):.1f} cpu "
                 f"· {r['peak_gib'][s]:.2f} GiB" for s in STAGES]
        lines.append(f"| {r['engine']} | {r['people']:,} | " + " | ".join(cells)
                     + f" | {r.get('load_before', float('nan')):.1f} → "
                     f"{r.get('load_after', float('nan')):.1f} | {r.get('finished', '')} |")
    if len(duck) >= 2:
        small, large = duck[0], duck[-1]
        exps = {s: _exponent(small, large, "seconds", s) for s in STAGES}
        cpu = ({s: _exponent(small, large, "cpu", s) for s in STAGES}
               if "cpu" in small and "cpu" in large else {})
        worst = max(exps.values())
        lines += ["", f"Growth exponent {small['people']:,} → {large['people']:,} people on "
                  "DuckDB (1 = linear; target ≤ 1.1 for every stage), wall: "
                  + ", ".join(f"{s} {e:.2f}" for s, e in exps.items())
                  + (("; CPU: " + ", ".join(f"{s} {e:.2f}" for s, e in cpu.items()))
                     if cpu else "")
                  + f". Target {'met' if worst <= 1.1 else 'not met'} on wall time."]
        lines += ["", "Throughput at the largest DuckDB size (people per second): "
                  + ", ".join(f"{s} {large['people'] / large['seconds'][s]:,.0f}"
                              for s in STAGES) + "."]
    for r in spark:
        lines += ["", f"Spark local at {r['people']:,} people (people per second): "
                  + ", ".join(f"{s} {r['people'] / r['seconds'][s]:,.0f}" for s in STAGES)
                  + "."]
        same = done.get(_key("duckdb", r["people"]))
        if same:
            times = r["seconds"]["features"] / max(same["seconds"]["features"], 1e-6)
            lines.append(f"Spark-local features take {times:.1f}× DuckDB's at "
                         f"{r['people']:,} people (target ≤ 5×).")
    if spark:
        lines += ["", "The Spark run's peak memory is its Python driver's, which also exports the "
                  "store to the lake before the features stage; the JVM's heap is the local "
                  "session's (`benne.scale.session.local_memory`)."]
    from benchmarks.run import machine

    lines += ["", f"_Runs on {machine()}; the date and load of each row are in the table._"]
    return "\n".join(lines)


RUNS = Path(__file__).resolve().parent / "results" / "capacity.json"


def run(quick: bool = False) -> str:
    """Every size afresh (the full run also keeps its measurements in ``results/capacity.json``)."""
    runs = None if quick else RUNS
    if runs is not None and runs.exists():
        runs.unlink()
    return render(measure(runs, quick, ("duckdb", "spark"), None), quick)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", nargs=3, metavar=("ENGINE", "PEOPLE", "FOLDER"))
    ap.add_argument("--runs", type=Path,
                    help="JSON file that keeps every measured size (resumable); render from it")
    ap.add_argument("--engine", choices=("duckdb", "spark"), action="append",
                    help="measure only this engine (repeatable)")
    ap.add_argument("--people", type=int, action="append", help="measure only this size")
    ap.add_argument("--render", action="store_true", help="measure nothing; render --runs")
    ap.add_argument("--keep", type=Path,
                    help="keep each size's sources, store and lake in KEEP/<engine>-<people>")
    args = ap.parse_args(argv)
    if args.child:
        engine, people, folder = args.child
        print(json.dumps(child(engine, int(people), Path(folder))))
        return 0
    if args.render:
        print(render(_load(args.runs), args.quick))
        return 0
    engines = tuple(args.engine or ("duckdb", "spark"))
    sizes = tuple(args.people) if args.people else None
    print(render(measure(args.runs, args.quick, engines, sizes, args.keep), args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
