"""Run the benchmarks and write BENCHMARKS.md.

Each ``benchmarks/bench_<stage>.py`` exposes ``run(quick: bool = False) -> str`` returning a
markdown section, measured against its peer in the same run. This runner executes each in its
own process (so peak memory is per benchmark), keeps each section in
``benchmarks/results/<stage>.md`` and assembles BENCHMARKS.md from all sections, with the date
and the machine of the run.

    python -m benchmarks.run                 # every benchmark, full size
    python -m benchmarks.run features models # some of them
    python -m benchmarks.run --quick         # small sizes, for a smoke test
    python -m benchmarks.run --assemble      # only rebuild BENCHMARKS.md from the sections
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
STAGES = ("simulate", "ingest", "features", "models", "populations", "service", "capacity")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {cpu}, {mem:.1f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def assemble() -> Path:
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks.run`). Every section measures benne and "
        "its peer in the same run on the same machine; compare the ratios, not the absolute "
        "times. Each section names its own date and machine.",
        "",
    ]
    for stage in STAGES:
        path = RESULTS / f"{stage}.md"
        if path.exists():
            parts.append(path.read_text(encoding="utf-8").rstrip() + "\n")
        else:
            parts.append(f"## {stage}\n\nNot measured yet.\n")
    out = ROOT / "BENCHMARKS.md"
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stages", nargs="*", help=f"any of {', '.join(STAGES)}; all when omitted")
    ap.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    ap.add_argument("--assemble", action="store_true",
                    help="run nothing; rebuild BENCHMARKS.md from benchmarks/results/")
    args = ap.parse_args(argv)
    if args.assemble:
        print(f"wrote {assemble().relative_to(ROOT)}")
        return 0
    unknown = set(args.stages) - set(STAGES)
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; use {', '.join(STAGES)}")
    stages = args.stages or list(STAGES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = []
    for stage in stages:
        started = dt.datetime.now(dt.UTC)
        print(f"== {stage} ({started:%Y-%m-%d %H:%M} UTC)", flush=True)
        cmd = [sys.executable, "-m", f"benchmarks.bench_{stage}"]
        cmd += ["--quick"] if args.quick else []
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            failed.append(stage)
            print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
            continue
        body = proc.stdout.strip()
        footer = (f"_Run {started:%Y-%m-%d %H:%M} UTC on {machine()}"
                  f"{' (quick sizes)' if args.quick else ''}._\n")
        (RESULTS / f"{stage}.md").write_text(body + "\n\n" + footer, encoding="utf-8")
        print(body)
    print(f"wrote {assemble().relative_to(ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
