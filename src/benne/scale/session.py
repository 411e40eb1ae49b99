"""The Spark session benne runs on: local by default, a cluster or Spark Connect by setting.

``spark_master`` (``benne.toml`` key or ``BENNE_SPARK_MASTER``) picks where: ``local[*]``
(every core of this machine, the default), ``local[N]``, ``spark://host:7077``, ``yarn``,
``k8s://...`` for a cluster manager, or ``sc://host:15002`` for a Spark Connect server (the
client then needs ``pyspark[connect]``). An active session is reused as it is (a notebook,
the tests), and under ``spark-submit`` the session is built from its ``--master`` and
``--conf``: the configuration is the caller's.

Local-mode defaults (see docs/scaling.md for the measurements behind them): Spark's 200 shuffle
partitions are for clusters; on a few cores each costs a task per shuffle and per query
stage, so a local session gets ``2 × cores`` (at least 4) and adaptive execution coalesces
further. Spark's 1 GiB default heap is also for a driver that only coordinates; in local mode
the driver is the executor too, so a local session's heap is half of this machine's memory,
between 1 and 16 GiB (``local_memory``), unless ``PYSPARK_SUBMIT_ARGS`` gives
``--driver-memory``. The console progress bar and the UI are off (batch jobs, logs stay
readable). Local Python workers run the driver's interpreter (training and scoring run
benne's own code in them through ``mapInPandas``); on a cluster the executors need benne
installed (``PYSPARK_PYTHON`` or ``spark.pyspark.python`` naming an environment with it).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from benne.exceptions import ConfigError

__all__ = ["local_memory", "local_partitions", "spark_session"]

_LOCAL = re.compile(r"^local(\[(\*|\d+)(,\d+)?\])?$")


def local_partitions(master: str) -> int | None:
    """Shuffle partitions for a local master (None for a cluster: Spark's own default)."""
    m = _LOCAL.match(master)
    if not m:
        return None
    cores = os.cpu_count() or 1 if m.group(2) in (None, "*") else int(m.group(2))
    return max(4, 2 * cores)


def local_memory() -> str:
    """The JVM heap of a local session: half of physical memory, between 1 and 16 GiB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return "1g"
    return f"{max(1, min(16, int(total / 2**30 / 2)))}g"


def spark_session(master: str | None = None, app_name: str = "benne") -> Any:
    """The active Spark session, or a new one on ``master`` (default: the ``spark_master``
    setting)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError("running on Spark needs pyspark, which is not installed",
                          fix="pip install 'benne[spark]'") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if master is None and "PYSPARK_GATEWAY_PORT" in os.environ:
        # launched by spark-submit: its --master and --conf are the configuration
        return SparkSession.builder.appName(app_name).getOrCreate()
    if master is None:
        from benne.config import load_settings

        master = load_settings().spark_master
    if master.startswith("sc://"):
        return SparkSession.builder.remote(master).appName(app_name).getOrCreate()
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.adaptive.enabled", "true")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    parts = local_partitions(master)
    if parts is not None:
        builder = (builder.config("spark.sql.shuffle.partitions", str(parts))
                   .config("spark.default.parallelism", str(parts)))
        if "driver-memory" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
            builder = builder.config("spark.driver.memory", local_memory())
        # local workers run this very interpreter (pyspark reads the variable when the
        # context starts)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
