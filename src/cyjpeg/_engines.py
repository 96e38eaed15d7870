"""Run one per-file function over many files: in this process, in local worker processes, or on Dask.

This module owns only the mapping and the progress line. The per-file functions (dedup.fingerprint,
store.compress_one) are plain module-level functions of picklable arguments returning dicts, so every engine
runs exactly the same code and returns the same rows, in the order of the input.

Dask is optional: it is imported only when engine="dask". On a remote cluster (scheduler="tcp://host:8786")
the workers must see the same paths (a shared filesystem) and have cyjpeg installed.
"""
from __future__ import annotations

import os
import sys
import time

ENGINES = ("local", "dask")


def run_map(func, items, engine="local", workers=None, scheduler=None, progress=None, describe=None):
    """[func(item) for item in items], run by `engine`, with an optional progress line on stderr.

    workers: processes (local) or Dask workers of a LocalCluster; None = the CPU count; 1 with the local
    engine runs in this process (no pool). progress: a label to show a progress line, or None.
    describe: optional function(result) -> short text appended to the progress line.
    """
    items = list(items)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if scheduler is not None and engine != "dask":
        raise ValueError("a scheduler address only makes sense with engine='dask'")
    bar = ProgressLine(len(items), progress, describe) if progress else None
    if engine == "dask":
        results = _run_dask(func, items, workers, scheduler, bar)
    else:
        results = _run_local(func, items, workers, bar)
    if bar:
        bar.close()
    return results


def _run_local(func, items, workers, bar):
    workers = workers or os.cpu_count() or 1
    results = [None] * len(items)
    if workers == 1 or len(items) <= 1:
        for position, item in enumerate(items):
            results[position] = func(item)
            if bar:
                bar.update(results[position])
        return results
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = {pool.submit(func, item): position for position, item in enumerate(items)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if bar:
                bar.update(results[futures[future]])
    return results


def _run_dask(func, items, workers, scheduler, bar):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError(
            "engine='dask' needs dask.distributed, which is not installed: pip install 'cyjpeg[dask]'"
        ) from None
    if scheduler:
        client, cluster = Client(scheduler), None
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        results = [None] * len(items)
        futures = client.map(func, items, pure=False)
        positions = {future.key: position for position, future in enumerate(futures)}
        for future in as_completed(futures):
            results[positions[future.key]] = future.result()
            if bar:
                bar.update(results[positions[future.key]])
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class ProgressLine:
    """A one-line progress bar on stderr, redrawn in place with a carriage return (no dependency)."""

    WIDTH = 28

    def __init__(self, total, label, describe=None, stream=None):
        self.total, self.label, self.describe = total, label, describe
        self.done = 0
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._draw()

    def update(self, result=None):
        self.done += 1
        self._extra = self.describe(result) if self.describe and result is not None else ""
        now = time.perf_counter()
        if now - self._last_draw > 0.1 or self.done == self.total:
            self._last_draw = now
            self._draw()

    _extra = ""

    def _draw(self):
        filled = self.WIDTH * self.done // max(1, self.total)
        elapsed = time.perf_counter() - self.started
        line = (f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}"
                f" {elapsed:5.1f}s {self._extra}")
        self.stream.write(line.ljust(100)[:120])
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()
