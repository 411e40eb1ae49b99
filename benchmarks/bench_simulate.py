"""Benchmark of ``benne simulate``: wall time and peak memory against a bare write floor.

benne simulates N people over 12 months (1,000,000; ``--quick``: 100,000) into a temporary
folder. The peer, measured in the same run, is the floor of any simulator: NumPy random columns
of the same types, cast to Arrow and written with ``pyarrow.parquet.ParquetWriter`` in the same
row counts per source and the same chunks, with no model behind them. Each side runs in its own
process, which reports its own peak resident memory (``getrusage``), so the numbers do not mix.

    python -m benchmarks.bench_simulate [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

__all__ = ["run"]

RESULT = Path(__file__).resolve().parent / "results" / "simulate.md"
MONTHS = 12
CHUNK = 100_000

_BENNE = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from benne import console
    from benne.simulate import simulate
    console.set_mode(quiet=True)
    people, out = int(sys.argv[1]), Path(sys.argv[2])
    t0 = time.perf_counter()
    s = simulate(people, out, seed=42, months={months}, chunk_people={chunk})
    wall = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    use = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({{"wall": wall, "cpu": use.ru_utime + use.ru_stime, "rss_kib": use.ru_maxrss,
                      "rows": s.rows, "bytes": size, "bad_rate": s.bad_rate}}))
""").format(months=MONTHS, chunk=CHUNK)

_FLOOR = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    import numpy as np, pyarrow as pa, pyarrow.parquet as pq
    from benne.sources import arrow_schema
    rows, out, chunks = json.loads(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(0)

    def column(t, n):
        if pa.types.is_string(t):
            return pa.array(rng.integers(0, 10**9, n)).cast(pa.string())
        if pa.types.is_boolean(t):
            return pa.array(rng.random(n) < 0.5)
        if pa.types.is_floating(t):
            return pa.array(rng.lognormal(3, 1, n))
        if pa.types.is_integer(t):
            return pa.array(rng.integers(0, 100, n))
        if pa.types.is_date(t):
            return pa.array(rng.integers(19000, 20000, n).astype(np.int32), type=t)
        return pa.array(rng.integers(0, 10**15, n), type=t)

    t0 = time.perf_counter()
    for name, total in rows.items():
        schema = arrow_schema(name)
        with pq.ParquetWriter(out / f"{name}.parquet", schema) as w:
            for k in range(chunks):
                n = total // chunks + (k < total % chunks)
                w.write_table(pa.Table.from_arrays([column(f.type, n) for f in schema],
                                                   schema=schema))
    wall = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    use = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall": wall, "cpu": use.ru_utime + use.ru_stime, "rss_kib": use.ru_maxrss,
                      "bytes": size}))
""")


def _child(code: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> str:
    """Measure benne and the floor; return the markdown section."""
    people = 100_000 if quick else 1_000_000
    chunks = -(-people // CHUNK)
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        (Path(tmp) / "benne").mkdir()
        (Path(tmp) / "floor").mkdir()
        benne = _child(_BENNE, str(people), str(Path(tmp) / "benne"))
        floor = _child(_FLOOR, json.dumps(benne["rows"]), str(Path(tmp) / "floor"), str(chunks))
    total = sum(benne["rows"].values())
    gib = 2**20
    lines = [
        "## simulate",
        "",
        f"`simulate({people:,} people, months={MONTHS}, chunk_people={CHUNK:,})` against the "
        "floor: random NumPy columns of the same schemas and row counts written with "
        "`pyarrow.parquet.ParquetWriter` in the same chunks (no model). Each in its own process. "
        "Target: at most 2 minutes and 4 GiB on 2 cores for 1,000,000 people. CPU is user + "
        "system seconds of the process (steadier than wall time on a shared machine; the "
        "floor writes on one core, benne generates on one and writes on a second).",
        "",
        "| | wall (s) | CPU (s) | rows/s | peak RSS (GiB) | on disk (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| benne simulate | {benne['wall']:.1f} | {benne['cpu']:.1f} | "
        f"{total / benne['wall']:,.0f} | "
        f"{benne['rss_kib'] / gib:.2f} | {benne['bytes'] / 2**20:,.0f} |",
        f"| floor (bare NumPy + pyarrow write) | {floor['wall']:.1f} | {floor['cpu']:.1f} | "
        f"{total / floor['wall']:,.0f} | {floor['rss_kib'] / gib:.2f} | "
        f"{floor['bytes'] / 2**20:,.0f} |",
        f"| ratio benne / floor | {benne['wall'] / floor['wall']:.2f}x | "
        f"{benne['cpu'] / floor['cpu']:.2f}x | | "
        f"{benne['rss_kib'] / floor['rss_kib']:.2f}x | |",
        "",
        f"Rows written ({total:,} in all; 12-month bad rate {benne['bad_rate']:.1%}):",
        "",
        "| source | rows |",
        "| --- | ---: |",
        *[f"| {name} | {n:,} |" for name, n in benne["rows"].items()],
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 people instead of 1,000,000")
    args = ap.parse_args(argv)
    text = run(quick=args.quick)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
