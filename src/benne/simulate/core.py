"""The simulation driver: chunks of people, one Parquet writer per source.

People are generated in chunks of ``chunk_people``. Each chunk draws from its own generator,
``SeedSequence(seed, spawn_key=(chunk,))`` (the ``chunk``-th child of ``SeedSequence(seed)``),
and each source within a chunk from a child of that, so a chunk's rows do not depend on the
order chunks are processed in, nor on which other sources are written. Communities never cross
a chunk, so transfers stay inside it. Memory is bounded by one chunk's rows; files grow by one
row group per chunk. The output depends on the seed, the parameters and ``chunk_people``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benne import console
from benne.exceptions import InputError
from benne.simulate import activity, credit, merchants, population
from benne.simulate.arrow import dates, person_width
from benne.simulate.params import Calendar, Params
from benne.sources import arrow_schema, load_order

__all__ = ["SOURCE_NAMES", "TRUTH_SCHEMA", "SimulationSummary", "simulate"]

SOURCE_NAMES: tuple[str, ...] = tuple(load_order())

TRUTH_SCHEMA = pa.schema([
    pa.field("person_id", pa.string(), nullable=False),
    pa.field("creditworthiness", pa.float64(), nullable=False),
    pa.field("income", pa.float64(), nullable=False),
    pa.field("conscientiousness", pa.float64(), nullable=False),
    pa.field("stability", pa.float64(), nullable=False),
    pa.field("digital", pa.float64(), nullable=False),
    pa.field("community", pa.int64(), nullable=False),
    pa.field("has_credit", pa.bool_(), nullable=False),
    pa.field("shock_months", pa.int64(), nullable=False),
    pa.field("labelled", pa.bool_(), nullable=False),
    pa.field("defaulted", pa.bool_(), nullable=False),
    pa.field("default_at", pa.date32(), nullable=True),
    pa.field("first_line_at", pa.date32(), nullable=True),
])

# Children of a chunk's SeedSequence, one per generator, fixed forever (append, never reorder).
_STREAMS = ("people", "identity", "addresses", "shops", "orders", "bills", "savings",
            "transfers", "accounts", "credit", "merchant_sales", "shop_health")


@dataclass
class SimulationSummary:
    """What :func:`simulate` wrote."""

    people: int
    seed: int
    start: dt.date
    months: int
    as_of: dt.date
    end: dt.date
    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    bad_rate: float = 0.0  # among people with a statement in the 12 months after as_of
    truth: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "people": self.people, "seed": self.seed, "start": self.start.isoformat(),
            "months": self.months, "as_of": self.as_of.isoformat(),
            "end": self.end.isoformat(), "out": str(self.out), "rows": dict(self.rows),
            "paths": {k: str(v) for k, v in self.paths.items()},
            "bad_rate": round(self.bad_rate, 4), "truth": str(self.truth),
        }


def _chunk(number: int, first: int, n: int, cal: Calendar, p: Params, shift: float,
           width: int, seed: int) -> tuple[dict[str, pa.Table], pa.Table]:
    """Every source's rows for people ``first .. first + n - 1``, and their truth rows."""
    streams = np.random.SeedSequence(seed, spawn_key=(number,)).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, streams, strict=True)}
    people = population.make_people(first, n, cal, p, rng["people"])
    shops = merchants.make_shops(people, cal, p, rng["shops"], rng["shop_health"])
    acc = credit.make_accounts(people, cal, p, rng["accounts"], shops.owner, shops.monthly_shock,
                               shops.health)
    outcome = credit.run_chain(acc, cal.months, p, shift)
    shop_numbers = people.number[shops.owner]
    tables = {
        "identity": population.identity_table(people, cal, width, rng["identity"]),
        "merchants": merchants.merchants_table(people, shops, width),
        "addresses": population.addresses_table(people, cal, width, p, rng["addresses"]),
        "orders": activity.orders_table(people, cal, width, shop_numbers, p, rng["orders"]),
        "bills": activity.bills_table(people, cal, width, p, rng["bills"]),
        "savings": activity.savings_table(people, cal, width, rng["savings"]),
        "transfers": activity.transfers_table(people, cal, width, p, rng["transfers"]),
        "credit": credit.credit_table(people, acc, outcome, cal, width, p, rng["credit"]),
        "merchant_sales": merchants.merchant_sales_table(people, shops, cal, width,
                                                         rng["merchant_sales"]),
    }
    labelled, bad, first_day = credit.person_outcome(acc, outcome, n, cal)
    first_line = acc.first_line_day(n, cal)
    truth = pa.Table.from_arrays([
        population.person_ids(people, np.arange(n), width),
        pa.array(people.creditworthiness), pa.array(people.income),
        pa.array(people.conscientiousness), pa.array(people.stability),
        pa.array(people.digital), pa.array(people.community), pa.array(people.has_credit),
        pa.array(people.shock.sum(axis=1).astype(np.int64)), pa.array(labelled),
        pa.array(bad), dates(np.maximum(first_day, 0), first_day < 0),
        dates(np.maximum(first_line, 0), first_line < 0),
    ], schema=TRUTH_SCHEMA)
    return tables, truth


def simulate(
    people: int,
    out: Path,
    *,
    seed: int = 42,
    start: dt.date = dt.date(2024, 1, 1),
    months: int = 24,
    no_credit_share: float = 0.4,
    target_bad_rate: float = 0.06,
    chunk_people: int = 100_000,
    params: Params | None = None,
) -> SimulationSummary:
    """Simulate ``people`` people over ``months`` months from ``start`` into ``out``.

    Writes ``<out>/<source>.parquet`` for the nine sources (exactly
    :func:`benne.sources.arrow_schema`) and ``<out>/truth.parquet`` (latent traits and the
    simulated outcome; not a source). The same arguments give byte-identical files.
    ``params`` changes the model's coefficients (:class:`Params`); ``no_credit_share`` and
    ``target_bad_rate`` always replace its two fields of the same names.
    """
    if people < 1:
        raise InputError(f"people must be >= 1; got {people}.", fix="pass --people 1000")
    if chunk_people < 1:
        raise InputError(f"chunk_people must be >= 1; got {chunk_people}.",
                         fix="pass a chunk size such as 100000")
    if seed < 0:
        raise InputError(f"seed must be >= 0; got {seed}.", fix="pass a non-negative seed")
    cal = Calendar(start, months)
    p = dataclasses.replace(params or Params(), no_credit_share=no_credit_share,
                            target_bad_rate=target_bad_rate)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    width = person_width(people)
    shift = credit.calibrate_shift(cal, p, seed)
    paths = {name: out / f"{name}.parquet" for name in SOURCE_NAMES}
    summary = SimulationSummary(people=people, seed=seed, start=start, months=months,
                                as_of=cal.as_of, end=cal.end, out=out, paths=paths,
                                rows=dict.fromkeys(SOURCE_NAMES, 0), truth=out / "truth.parquet")
    writers = {name: pq.ParquetWriter(path, arrow_schema(name)) for name, path in paths.items()}
    truth_writer = pq.ParquetWriter(summary.truth, TRUTH_SCHEMA)
    labelled = bad = 0

    def write(tables: dict[str, pa.Table], truth: pa.Table) -> None:
        for name, tab in tables.items():
            writers[name].write_table(tab)
        truth_writer.write_table(truth)

    # Parquet encoding releases the GIL: one thread writes chunk i while chunk i + 1 is
    # generated, so a second core is used and at most two chunks are held in memory.
    pool = ThreadPoolExecutor(max_workers=1)
    pending: Future[None] | None = None
    try:
        with console.task(f"simulating {people:,} people", total=people) as advance:
            for number, first in enumerate(range(1, people + 1, chunk_people)):
                n = min(chunk_people, people + 1 - first)
                tables, truth = _chunk(number, first, n, cal, p, shift, width, seed)
                if pending is not None:
                    pending.result()
                pending = pool.submit(write, tables, truth)
                for name, tab in tables.items():
                    summary.rows[name] += tab.num_rows
                is_labelled = truth.column("labelled").to_numpy()
                labelled += int(is_labelled.sum())
                bad += int((truth.column("defaulted").to_numpy() & is_labelled).sum())
                advance(n)
            if pending is not None:
                pending.result()
    finally:
        pool.shutdown(wait=True)
        for w in writers.values():
            w.close()
        truth_writer.close()
    summary.bad_rate = bad / labelled if labelled else 0.0
    return summary
