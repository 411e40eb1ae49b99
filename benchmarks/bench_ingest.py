"""Ingestion speed: validated ``benne.ingest`` against DuckDB's own readers, same file, same run.

The peer is the fastest way to get the same file into a DuckDB table with no validation at all:
``CREATE TABLE t AS SELECT * FROM read_parquet(...)`` (or ``read_csv``) into a fresh database
file. benne does that plus type, required, range, enumeration, future-date and reference
checks, quarantine, deduplication by record id and the ingest log, in one transaction.
Each measurement runs in its own process so its peak resident memory is its own.

    python -m benchmarks.bench_ingest            # 10,000,000 Parquet rows, 2,000,000 CSV rows
    python -m benchmarks.bench_ingest --quick    # 1,000,000 and 200,000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "ingest.md"
TARGET_RATIO = 0.5
TARGET_PEAK_GIB = 2.0
NOW = dt.datetime(2026, 1, 1)


def _generate(folder: Path, rows: int, csv_rows: int) -> dict[str, Path]:
    """Orders like the simulator's (0.1 % of them broken), their people, and a CSV slice."""
    import duckdb

    people = max(1000, min(1_000_000, rows // 10))
    paths = {"identity": folder / "identity.parquet", "orders": folder / "orders.parquet",
             "orders_csv": folder / "orders.csv"}
    con = duckdb.connect()
    con.execute(f"""
        COPY (SELECT 'p' || i AS person_id,
                     TIMESTAMP '2020-01-01' + to_seconds(i * 37) AS registered_at,
                     i % 3 = 0 AS real_name_verified, (1950 + i % 50)::BIGINT AS birth_year,
                     ['female', 'male', 'other'][1 + i % 3] AS gender, 'r' || (i % 30) AS region,
                     DATE '2015-01-01' + (i % 3000)::INTEGER AS phone_number_since,
                     ['android', 'ios', 'other'][1 + i % 3] AS device_os,
                     'mail' || (i % 7) || '.org' AS email_domain
              FROM range({people}) t(i)) TO '{paths["identity"]}' (FORMAT parquet)""")
    orders_sql = f"""
        SELECT 'o' || i AS order_id, 'p' || (hash(i) % {people}) AS person_id,
               CASE WHEN i % 3 = 0 THEN NULL ELSE 'm' || (i % 5000) END AS merchant_id,
               TIMESTAMP '2023-01-01' + to_seconds(i % 90000000) AS ordered_at,
               CASE WHEN i % 1000 = 7 THEN -1.0 ELSE (hash(i) % 50000) / 100.0 END AS amount,
               ['groceries', 'electronics', 'fashion', 'home', 'beauty', 'books'][1 + i % 6]
                   AS category,
               ['delivered', 'delivered', 'returned', 'cancelled'][1 + i % 4] AS status,
               (i % 24)::BIGINT AS hour
        FROM range({{n}}) t(i)"""
    con.execute(f"COPY ({orders_sql.format(n=rows)}) TO '{paths['orders']}' (FORMAT parquet)")
    con.execute(f"COPY ({orders_sql.format(n=csv_rows)}) TO '{paths['orders_csv']}' "
                "(FORMAT csv, HEADER)")
    con.close()
    return paths


def _child(mode: str, data: Path, work: Path) -> dict[str, float]:
    """One measurement in this (fresh) process."""
    import duckdb

    out: dict[str, float] = {}
    db = work / f"{mode}.duckdb"
    if mode.startswith("raw"):
        reader = (f"read_parquet('{data / 'orders.parquet'}')" if mode == "raw_parquet"
                  else f"read_csv('{data / 'orders.csv'}')")
        con = duckdb.connect(str(db))
        t = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}")
        con.close()
        out["seconds"] = time.perf_counter() - t
    else:
        from benne import console
        from benne.ingest import ingest

        console.set_mode(quiet=True)
        ingest([data / "identity.parquet"], None, db, now=NOW)
        target = data / ("orders.parquet" if mode == "benne_parquet" else "orders.csv")
        t = time.perf_counter()
        first = ingest([target], "orders", db, now=NOW)
        out["seconds"] = time.perf_counter() - t
        out["quarantined"] = first.quarantined
        out["loaded"] = first.loaded
        if mode == "benne_parquet":
            t = time.perf_counter()
            again = ingest([target], "orders", db, now=NOW)
            out["reload_seconds"] = time.perf_counter() - t
            out["reload_duplicates"] = again.duplicates
    out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    for p in work.glob(f"{mode}.duckdb*"):
        p.unlink()
    return out


def _measure(mode: str, data: Path, work: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ingest", "--child", mode, str(data), str(work)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(mode: str, data: Path, work: Path, repeats: int) -> dict[str, float]:
    """The fastest of ``repeats`` runs (the machine is shared), with the worst peak memory."""
    runs = [_measure(mode, data, work) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_rss_gib"] = max(r["peak_rss_gib"] for r in runs)
    return best


def run(quick: bool = False) -> str:
    rows = 1_000_000 if quick else 10_000_000
    csv_rows = 200_000 if quick else 2_000_000
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        data, work = Path(tmp) / "data", Path(tmp) / "work"
        data.mkdir()
        work.mkdir()
        t = time.perf_counter()
        paths = _generate(data, rows, csv_rows)
        gen_seconds = time.perf_counter() - t
        sizes = {k: p.stat().st_size / 2**20 for k, p in paths.items()}
        res: dict[str, dict[str, float]] = {}
        for _ in range(2):  # interleaved so both sides see the same machine load
            for mode in ("raw_parquet", "benne_parquet", "raw_csv", "benne_csv"):
                r = _measure(mode, data, work)
                if mode not in res or r["seconds"] < res[mode]["seconds"]:
                    peak = max(r["peak_rss_gib"], res.get(mode, {}).get("peak_rss_gib", 0.0))
                    res[mode] = {**r, "peak_rss_gib": peak}
                else:
                    res[mode]["peak_rss_gib"] = max(res[mode]["peak_rss_gib"],
                                                    r["peak_rss_gib"])
    pq_ratio = res["raw_parquet"]["seconds"] / res["benne_parquet"]["seconds"]
    csv_ratio = res["raw_csv"]["seconds"] / res["benne_csv"]["seconds"]
    peak = res["benne_parquet"]["peak_rss_gib"]

    def line(label: str, mode: str, n: int) -> str:
        r = res[mode]
        return (f"| {label} | {n:,} | {r['seconds']:.2f} | {n / r['seconds']:,.0f} | "
                f"{r['peak_rss_gib']:.2f} |")

    ok = "met" if pq_ratio >= TARGET_RATIO and peak < TARGET_PEAK_GIB else "NOT met"
    lines = [
        "## ingest",
        "",
        f"Run {dt.date.today().isoformat()} on {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
        + (" (--quick)" if quick else "") + ". Best of two interleaved runs per line, each in "
        "its own process; peak memory is the process's maximum resident set.",
        "",
        f"Data: {rows:,} orders as Parquet ({sizes['orders']:.0f} MiB), the same generator's "
        f"first {csv_rows:,} rows as CSV ({sizes['orders_csv']:.0f} MiB), "
        f"{sizes['identity']:.0f} MiB of people; 0.1 % of orders have a negative amount "
        f"(generated in {gen_seconds:.0f} s).",
        "",
        "| load | rows | seconds | rows/s | peak RSS (GiB) |",
        "| --- | ---: | ---: | ---: | ---: |",
        line("DuckDB `CREATE TABLE AS SELECT * FROM read_parquet` (no validation)",
             "raw_parquet", rows),
        line("benne ingest, Parquet (validated, references, dedupe, log)", "benne_parquet",
             rows),
        line("DuckDB `CREATE TABLE AS SELECT * FROM read_csv` (no validation)", "raw_csv",
             csv_rows),
        line("benne ingest, CSV (read as text, TRY_CAST, validated)", "benne_csv", csv_rows),
        "",
        f"- Parquet: benne runs at **{pq_ratio:.2f}x** the raw speed "
        f"(target >= {TARGET_RATIO}), peak {peak:.2f} GiB (target < {TARGET_PEAK_GIB} GiB): "
        f"target {ok}.",
        f"- CSV: {csv_ratio:.2f}x the raw speed (no target; CSV is parsed as text by Arrow "
        "in one thread so that a bad value refuses one row, not the file).",
        f"- Quarantined {res['benne_parquet']['quarantined']:,.0f} Parquet rows; re-loading "
        f"the same Parquet file (all {res['benne_parquet']['reload_duplicates']:,.0f} rows "
        f"duplicates, nothing written) took {res['benne_parquet']['reload_seconds']:.2f} s.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000,000 rows instead of 10M")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DATA", "WORK"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, data, work = args.child
        print(json.dumps(_child(mode, Path(data), Path(work))))
        return
    text = run(quick=args.quick)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
