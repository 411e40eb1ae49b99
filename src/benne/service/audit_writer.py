"""Group commit for the partner read's audit entries: one writer thread per process.

Every partner read appends an entry, and every append moves the one audit head row (see
:mod:`benne.service.audit`): the head's row lock is held from the ``UPDATE`` to the commit, so
appends are serial however many threads and workers serve. Appended one transaction per
request, a read waits for each earlier read's whole commit, and under load the waiters form a
convoy: each finds its hint of the head stale when the lock frees, re-reads the head, and
queues again. A :class:`GroupAppender` instead takes every entry submitted while its last
transaction was committing and appends them together (:func:`benne.service.audit.append_many`:
one head update and one insert for the lot), so the cost of the lock is paid once per batch,
not once per request, and the batch grows with the load.

What a caller is promised is unchanged: :meth:`GroupAppender.append` returns only after the
entry is committed (a partner gets no score whose read is not in the log), with the entry's seq.
If the batch's transaction fails, every caller in it gets the error and none of its entries is
in the log. Entries of one batch are in submission order; entries from other processes and
from other routes (consents, disputes, which append in their own transactions) interleave
between batches as the head lock orders them.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Final

from sqlalchemy import Engine

from benne.service import audit
from benne.service.db import BusyError

__all__ = ["GroupAppender"]

_STOP: Final = object()


class GroupAppender:
    """Appends the entries submitted from many threads, in batches, from one writer thread.

    ``max_batch`` caps one transaction's entries (a batch of 256 is a few milliseconds of
    hashing and one multi-row insert); ``wait_seconds`` is how long a caller waits for its
    entry's commit before it gets ``503 busy``.
    """

    def __init__(self, engine: Engine, *, max_batch: int = 256, wait_seconds: float = 10.0) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.wait_seconds = wait_seconds
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # transactions committed, for tests and the benchmark's notes

    def append(self, entry: audit.Entry) -> int:
        """Submit ``entry`` and wait until it is committed; its seq."""
        future: Future[int] = Future()
        with self._lock:
            if self._closed:
                raise BusyError("the service is shutting down",
                                fix="retry after the time in Retry-After")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="benne-audit-writer",
                                                daemon=True)
                self._thread.start()
            self._queue.put((entry, future))
        try:
            return future.result(timeout=self.wait_seconds)
        except TimeoutError:
            raise BusyError("the audit log is busy",
                            fix="retry after the time in Retry-After") from None

    def close(self) -> None:
        """Commit what was submitted, then stop the writer thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            batch: list[tuple[audit.Entry, Future[int]]] = []
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)  # type: ignore[arg-type]
                if stop or len(batch) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._commit(batch)

    def _commit(self, batch: list[tuple[audit.Entry, Future[int]]]) -> None:
        live = [(e, f) for e, f in batch if f.set_running_or_notify_cancel()]
        try:
            with self.engine.begin() as conn:
                seqs = audit.append_many(conn, [e for e, _ in live])
        except BaseException as exc:  # every caller of the batch hears of its failure
            for _, future in live:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.batches += 1
        for (_, future), seq in zip(live, seqs, strict=True):
            future.set_result(seq)
