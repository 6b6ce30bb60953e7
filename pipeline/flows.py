"""Prefect flows: the only module that knows about Prefect.

``extract`` runs the stages over batches of documents: per batch, a ``read`` task (paths
to documents, read one batch ahead) and an ``extract-batch`` task (clean and split -> NER
and dates -> relations -> write), never one per document or sentence. Measured on 2 cores:
a task run costs about 0.1 s of API calls, a synchronous flow about 1 s of heartbeat
wait; the flow is therefore ``async``, the batches are large, and a batch's stages share
one task (their seconds are measured inside it and reported per stage).

Run it through the command line (``python -m pipeline run``) or directly::

    import asyncio
    from pipeline.flows import extract
    summary = asyncio.run(extract(["data/samples"], "out"))
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline import settings

settings.prefect_defaults()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from pipeline import __version__, batch, progress  # noqa: E402
from pipeline.io.lock import OutputLock  # noqa: E402
from pipeline.io.parquet import DatasetWriter, batch_key  # noqa: E402
from pipeline.io.readers import discover, display_path  # noqa: E402
from pipeline.records import Failure  # noqa: E402
from pipeline.rules import rules_fingerprint  # noqa: E402

#: Batch tasks carry whole batches of documents: hashing them for a cache key
#: (Prefect's default policy) would cost time proportional to the data and
#: buys nothing (reruns are made idempotent by the writer instead).
BATCH_TASK: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}


@dataclass
class RunSummary:
    out: str
    inputs: int = 0
    documents: int = 0
    skipped: int = 0
    replaced: int = 0
    duplicates: int = 0
    #: committed documents whose list of input records changed (a text met under another id)
    sources_updated: int = 0
    #: committed batches found damaged (a part deleted or changed) and redone
    damaged: int = 0
    #: failures of earlier runs whose input now reads without them
    resolved: int = 0
    articles: int = 0
    sentences: int = 0
    entities: int = 0
    relations: int = 0
    failures: int = 0
    ignored: int = 0
    seconds: float = 0.0
    #: wall seconds per stage, summed over batches; with one batch in flight per process
    #: (the default without Dask) they add up to at most the run's wall time
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: CPU seconds per stage (of the threads that ran them), summed over batches
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    #: before the first batch: loading the models in this process (Dask workers load their own)
    startup_seconds: float = 0.0
    #: from the start of the run to the first batch written (committed)
    first_batch_seconds: float | None = None
    labels: dict[str, int] = field(default_factory=dict)
    failed: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def add_seconds(self, seconds: dict[str, float], cpu: dict[str, float] | None = None) -> None:
        for stage, s in seconds.items():
            self.stage_seconds[stage] = round(self.stage_seconds.get(stage, 0.0) + s, 3)
        for stage, s in (cpu or {}).items():
            self.stage_cpu_seconds[stage] = round(self.stage_cpu_seconds.get(stage, 0.0) + s, 3)


def output_metadata() -> dict[str, str]:
    from pipeline.nlp import pipeline_dir

    meta_path = pipeline_dir() / "meta.json"
    models = "none"
    if meta_path.is_file():
        import json

        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        models = f"{meta.get('name')}@{meta.get('version')}+{models_fingerprint()}"
    return {
        "pipeline_version": __version__,
        "rules_version": rules_fingerprint(),
        "models": models,
    }


def models_fingerprint() -> str:
    """A short hash of the shipped pipeline's files: which model wrote a row.

    The files are read only when their names, sizes or modification times
    changed since the last call in this process.
    """
    from pipeline.nlp import pipeline_dir

    root = pipeline_dir()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return _hash_files(str(root), tuple((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files))


@lru_cache(maxsize=4)
def _hash_files(root: str, listing: tuple[tuple[str, int, int], ...]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for name, size, _ in listing:
        digest.update(f"{name}\0{size}\0".encode())
        with open(Path(root) / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


@task(name="read", **BATCH_TASK)
def read_task(paths: list[str], published=None) -> batch.ReadResult:
    return batch.read_documents(paths, published)


@task(name="extract-batch", **BATCH_TASK)
def extract_batch_task(documents: list, out: str, metadata: dict[str, str]) -> dict:
    """One batch through clean and split -> NER (and dates) -> relations -> write, in one task:
    a task run costs Prefect several API calls (about 0.1 s on 2 cores), and a batch's
    records never travel between tasks (nor, on Dask, between workers). The stages'
    wall and CPU seconds are measured inside and returned with the row counts."""
    extracted = batch.extract_relations(batch.resolve_dates(batch.recognize_entities(batch.clean_and_split(documents))))
    return write_extracted(out, extracted, metadata)


def write_extracted(out: str, extracted: batch.Extracted, metadata: dict[str, str]) -> dict:
    """Write one batch; returns row counts per table, entity labels, stage seconds and failures."""
    t0, c0 = time.perf_counter(), time.thread_time()
    writer = DatasetWriter(out, metadata)
    counts: dict[str, int] = {}
    if extracted.documents:
        tables = batch.to_tables(extracted, metadata)
        key = batch_key(d.doc_id for d in extracted.documents)
        counts.update(writer.write_batch(key, {k: v for k, v in tables.items() if k != "failures"}))
    if extracted.failures:
        counts.update(write_failures(writer, extracted.failures, metadata))
    labels: dict[str, int] = {}
    for e in extracted.entities:
        labels[e.label] = labels.get(e.label, 0) + 1
    seconds = {**extracted.seconds, "write": time.perf_counter() - t0}
    cpu = {**extracted.cpu_seconds, "write": time.thread_time() - c0}
    return {
        "counts": counts,
        "labels": labels,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "failed": [_failure_dict(f) for f in extracted.failures],
    }


def _distributed() -> bool:
    """Whether this flow run's tasks run on Dask (workers load their own models)."""
    try:
        from prefect.context import FlowRunContext

        ctx = FlowRunContext.get()
        return ctx is not None and type(ctx.task_runner).__name__ != "ThreadPoolTaskRunner"
    except Exception:
        return False


def _load_models() -> None:
    from pipeline.nlp import load_nlp

    load_nlp()


def _failure_dict(f: Failure) -> dict:
    return {"path": f.path, "stage": f.stage, "error": f.error}


def write_failures(writer: DatasetWriter, failures: list[Failure], metadata: dict[str, str]) -> dict[str, int]:
    key = batch_key(f"{f.path}\0{f.stage}\0{f.error}" for f in failures)
    table = batch.schema.to_table("failures", failures, metadata)
    return writer.write_batch(key, {"failures": table})


#: with several batches in flight, each gets at least this many characters (a few tenths of a
#: second of work per task run, whose own cost is about 0.1 s)
MIN_SHARED_BATCH_CHARS = 50_000


def _file_sizes(paths: list[str]) -> list[int]:
    """Bytes of each file (0 for one that cannot be read: read will say why)."""
    sizes = []
    for path in paths:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError:
            sizes.append(0)
    return sizes


def _batch_chars(sizes: list[int], in_flight: int) -> int:
    """Characters per batch of files of ``sizes`` bytes: ``PIPELINE_BATCH_CHARS``; with several batches in flight (Dask
    workers), also at most a quarter of each worker's share of the input (about three bytes a
    character), so that the workers finish together: 200 pages in 5 batches of the default
    size kept one of 2 workers idle for a whole batch at the end (1.5 times one process instead
    of 1.9). Never below :data:`MIN_SHARED_BATCH_CHARS`."""
    chars = settings.batch_chars()
    if in_flight <= 1:
        return chars
    total = sum(sizes) // 3
    return max(min(chars, MIN_SHARED_BATCH_CHARS), min(chars, total // (4 * in_flight)))


def _path_chunks(paths: list[str], sizes: list[int], size: int, max_bytes: int) -> list[list[str]]:
    """Paths (of ``sizes`` bytes) in read batches of at most ``size`` files and about
    ``max_bytes`` bytes (a batch of characters is about three times as many bytes of UTF-8 Chinese)."""
    chunks: list[list[str]] = [[]]
    total = 0
    for path, n in zip(paths, sizes):
        if chunks[-1] and (len(chunks[-1]) >= size or total + n > max_bytes):
            chunks.append([])
            total = 0
        chunks[-1].append(path)
        total += n
    return [c for c in chunks if c]


class DaskConfigError(ValueError, RuntimeError):
    """A ``--dask`` spec that cannot work: bad syntax, or a remote cluster without a Prefect API."""


def task_runner_for(spec: str | None):
    """The task runner for ``--dask SPEC`` (or ``$PIPELINE_DASK``).

    ``None``/empty: Prefect's thread pool in this process. ``local:N``: a
    Dask LocalCluster of N single-threaded worker processes, started and
    stopped with the flow run. ``tcp://HOST:PORT``: an existing Dask
    scheduler. Workers import :mod:`pipeline` and load the spaCy pipeline
    once each (the cache in :mod:`pipeline.nlp` is module level).
    """
    if not spec:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner()
    from prefect_dask import DaskTaskRunner

    if spec.startswith("local:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise DaskConfigError(f"--dask local:N needs a positive number of workers, got {spec!r}")
        local_worker_config()
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True, "dashboard_address": None},
        )
    if "://" in spec:
        return DaskTaskRunner(address=spec)
    raise DaskConfigError(f"--dask takes local:N or a scheduler address such as tcp://HOST:8786, got {spec!r}")


#: Dask's defaults that slow a worker's stages, and what a local cluster's workers get instead
#: (measured on 2 cores, 100 pages of People's Daily in one worker, NER 6.6 s in a plain process):
#: ``MALLOC_TRIM_THRESHOLD_``, which Dask sets before it spawns a worker, turns off glibc's
#: dynamic mmap threshold, so every large array is a fresh mmap (7.1 s, at any value); the
#: statistical profiler samples the running task's stack every 10 ms.
LOCAL_WORKER_CONFIG: dict[str, Any] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


def local_worker_config() -> None:
    """Set :data:`LOCAL_WORKER_CONFIG` in this process's Dask config, which a local cluster's
    nannies read when they spawn their workers (a remote cluster keeps its own config)."""
    import dask

    dask.config.set(LOCAL_WORKER_CONFIG)


class ApiForWorkers:
    """Make sure every process of a distributed run reports to one Prefect API.

    Dask workers are separate processes: without ``PREFECT_API_URL`` each of
    them would start a temporary Prefect server of its own. If an API is
    configured, its URL is exported to the environment the workers inherit.
    Otherwise, for ``local:N``, a local Prefect server is started for the
    length of the run (and stopped after); a remote scheduler's workers
    cannot reach such a server, so ``tcp://`` without an API is an error.
    """

    def __init__(self, spec: str | None):
        self.spec = spec
        self.server = None
        self._settings_ctx = None
        self._saved_env = None

    def __enter__(self):
        if not self.spec:
            return self
        import prefect.settings

        url = os.environ.get("PREFECT_API_URL") or prefect.settings.PREFECT_API_URL.value()
        if not url:
            if not self.spec.startswith("local:"):
                raise DaskConfigError(
                    "a run on a remote Dask cluster needs a Prefect server that its workers can reach: "
                    "start one (prefect server start --host 0.0.0.0) and set PREFECT_API_URL=http://HOST:4200/api"
                )
            from prefect.server.api.server import SubprocessASGIServer

            self.server = SubprocessASGIServer()
            self.server.start(timeout=int(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")))
            url = self.server.api_url
            self._settings_ctx = prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: url})
            self._settings_ctx.__enter__()
        self._saved_env = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = url
        return self

    def __exit__(self, *exc):
        if not self.spec:
            return
        if self._saved_env is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = self._saved_env
        if self._settings_ctx is not None:
            self._settings_ctx.__exit__(*exc)
        if self.server is not None:
            self.server.stop()


class Sources:
    """Which input records (file, JSONL id) hold which text (``doc_id``), during one run.

    Starts from the committed ``documents.sources``; tracks what each committed or
    written document's list should become, so that the run can rewrite the lists that
    changed at its end.
    """

    def __init__(self, existing: dict[str, list[dict]]):
        #: what the output holds (committed before this run, or written by it)
        self._written: dict[str, list[dict]] = {d: list(s) for d, s in existing.items()}
        self._of: dict[str, list[dict]] = {d: list(s) for d, s in existing.items()}
        self._owner: dict[tuple, str] = {}
        for doc_id, srcs in existing.items():
            for src in srcs:
                self._owner[self.key(src)] = doc_id

    @staticmethod
    def key(src: dict) -> tuple:
        return (src["path"], src.get("source_id"))

    def committed(self, doc_id: str) -> bool:
        """In the output: a document of this run is met again only as a duplicate (``seen``)."""
        return doc_id in self._written

    def of(self, doc_id: str) -> list[dict]:
        return self._of.get(doc_id, [])

    def move(self, key: tuple, doc_id: str) -> str | None:
        """Record ``key`` as holding ``doc_id``; returns the text it held before, if another."""
        before = self._owner.get(key)
        self._owner[key] = doc_id
        if before is None or before == doc_id:
            return None
        self._of[before] = [s for s in self._of.get(before, []) if self.key(s) != key]
        return before

    def add(self, doc_id: str, src: dict) -> None:
        """Add or refresh the record (its line, source, date or url may have changed)."""
        srcs = self._of.setdefault(doc_id, [])
        for i, s in enumerate(srcs):
            if self.key(s) == self.key(src):
                srcs[i] = src
                return
        srcs.append(src)

    def forget_committed(self, doc_ids: set[str]) -> None:
        for doc_id in doc_ids:
            self._written.pop(doc_id, None)

    def written(self, doc_id: str, srcs: list[dict]) -> None:
        self._written[doc_id] = list(srcs)

    def changed(self) -> dict[str, list[dict]]:
        """``doc_id -> records`` for the written documents whose records differ from what is written."""
        return {d: self._of[d] for d, w in self._written.items() if self._of.get(d) and self._of[d] != w}


@flow(name="extract", log_prints=False, task_runner=task_runner_for(os.environ.get("PIPELINE_DASK")))
async def extract(
    inputs: list[str],
    out: str,
    batch_size: int | None = None,
    force: bool = False,
    lock_timeout: float = 3600.0,
    in_flight: int | None = None,
    published: str | None = None,
) -> dict:
    """Run the pipeline over ``inputs`` (files, directories, globs) into ``out``.

    At most ``in_flight`` batches are read and processed at a time (default 1: this
    process's task runner; a Dask run passes its number of workers), so memory does
    not grow with the input and batches are committed as they finish.

    One run writes ``out`` at a time (a lock; a second run waits up to
    ``lock_timeout`` seconds). Documents already in ``out`` are skipped
    unless ``force``; a file whose text changed replaces the rows of its
    earlier version. ``published`` (YYYY-MM-DD) is the publication date of the
    documents that carry none (no JSONL ``date``, no date in their path).
    """
    logger = get_run_logger()
    # tasks may run in other processes and directories (Dask workers): every path they
    # get is absolute, resolved here in the process that was given it
    out = os.path.abspath(out)
    lock = OutputLock(
        out, timeout=lock_timeout, on_wait=lambda who: logger.warning("waiting for the run that holds %s (%s)", out, who)
    )
    await asyncio.to_thread(lock.acquire)
    try:
        summary = await _extract(logger, inputs, out, batch_size, force, in_flight or 1, published)
    finally:
        lock.release()
    await publish_artifact(summary)
    return summary.as_dict()


async def _extract(
    logger, inputs: list[str], out: str, batch_size: int | None, force: bool, in_flight: int = 1, published: str | None = None
) -> RunSummary:
    from datetime import date

    started = time.perf_counter()
    default_published = date.fromisoformat(published) if published else None
    size = batch_size or settings.batch_size()
    summary = RunSummary(out=str(out))
    metadata = output_metadata()

    found = discover(inputs)
    summary.inputs = len(found.files)
    summary.ignored = len(found.ignored)
    if found.ignored:
        logger.info("ignored %d files with unsupported extensions", len(found.ignored))
    writer = _open_output(logger, out, metadata, summary)
    sources = Sources(writer.existing_documents())

    run_failures: list[Failure] = [batch.failure(m, "discover", "no such file, directory or glob match") for m in found.missing]
    paths = [str(p) for p in found.files]
    sizes = _file_sizes(paths)
    max_chars = _batch_chars(sizes, in_flight)
    path_batches = _path_chunks(paths, sizes, size, 3 * max_chars)

    seen: set[str] = set()
    # the batches submitted and not yet settled: waiter (the task's result, awaited in a thread) -> documents
    in_progress: dict[asyncio.Future, int] = {}
    pending_docs: list = []
    pending_chars = 0
    done_docs = 0
    progress.report(0, 0)
    if path_batches and in_flight <= 1 and not _distributed():
        # the models load once in this process, before the first batch: reported on its own
        t = time.perf_counter()
        await asyncio.to_thread(_load_models)
        summary.startup_seconds = round(time.perf_counter() - t, 2)

    # Without Dask, a batch's records are passed quoted: Prefect would otherwise walk every
    # record looking for futures nested in them (0.3-0.5 s a batch of 80 K characters).
    # prefect-dask does not unwrap the annotation, and ships the batch to a worker anyway.
    # (Any: a task's submit is typed with its parameters, which Prefect takes quoted too)
    wrap: Callable[[Any], Any] = (lambda x: x) if _distributed() else quote

    def submit(docs: list) -> None:
        fut = extract_batch_task.submit(wrap(docs), str(out), metadata)
        in_progress[asyncio.ensure_future(asyncio.to_thread(fut.result))] = len(docs)

    async def settle(keep: int) -> None:
        """Wait until at most ``keep`` batches are in flight, taking each as it finishes (in
        any order: waiting for the oldest left a worker that finished a younger one idle)."""
        while len(in_progress) > keep:
            finished, _ = await asyncio.wait(in_progress, return_when=asyncio.FIRST_COMPLETED)
            for waiter in finished:
                n = in_progress.pop(waiter)
                account(waiter.result(), n)

    def account(written: dict, n: int) -> None:
        nonlocal done_docs
        counts = written["counts"]
        summary.failed.extend(written["failed"])
        for table in ("documents", "articles", "sentences", "entities", "relations", "failures"):
            setattr(summary, table, getattr(summary, table) + counts.get(table, 0))
        for label, k in written["labels"].items():
            summary.labels[label] = summary.labels.get(label, 0) + k
        summary.add_seconds(written["seconds"], written.get("cpu_seconds"))
        if summary.first_batch_seconds is None and counts.get("documents"):
            summary.first_batch_seconds = round(time.perf_counter() - started, 2)
        done_docs += n
        progress.report(done_docs, len(seen))

    read_inputs: set[str] = set()

    def read(i: int) -> asyncio.Future | None:
        # in this process (a thread beside the event loop), not on the task runner: on Dask a
        # read queued behind a batch on a busy worker held up the next batch for the other
        # workers, and its documents come back here anyway to be batched
        if i >= len(path_batches):
            return None
        return asyncio.ensure_future(asyncio.to_thread(read_task, path_batches[i], default_published))

    # read as the batches go, one batch of paths ahead (read while the batch before is
    # processed): memory holds about in_flight + 1 batches
    reading = read(0)
    for i, paths in enumerate(path_batches):
        assert reading is not None
        result: batch.ReadResult = await reading
        reading = read(i + 1)
        run_failures.extend(result.failures)
        read_inputs.update(display_path(p) for p in paths)
        summary.add_seconds(result.seconds, result.cpu_seconds)
        fresh, redo = _triage(result.documents, sources, seen, force, summary)
        if redo:
            # old rows go once per read batch (each call rewrites the parts it touches); the
            # batches in flight may hold them, so they finish first
            await settle(0)
            writer.remove_documents(redo)
            sources.forget_committed(redo)
        for doc in fresh:
            doc.sources = list(sources.of(doc.doc_id))
            sources.written(doc.doc_id, doc.sources)
            pending_docs.append(doc)
            pending_chars += doc.n_chars
            # a batch closes at --batch-size documents or about PIPELINE_BATCH_CHARS characters:
            # a few seconds of work whether the inputs are pages or short JSONL records
            if len(pending_docs) >= size or pending_chars >= max_chars:
                submit(pending_docs)
                pending_docs, pending_chars = [], 0
                await settle(in_flight - 1)
    if pending_docs:
        submit(pending_docs)
    await settle(0)

    # records met again under another file or id, or gone from a text: one rewrite of the
    # documents parts concerned, after every batch of the run is committed
    summary.sources_updated = writer.update_sources(sources.changed())
    _record_failures(writer, metadata, run_failures, read_inputs, summary)
    summary.seconds = round(time.perf_counter() - started, 2)
    summary.labels = dict(sorted(summary.labels.items()))
    _log_summary(logger, summary, in_flight)
    return summary


def _open_output(logger, out: str, metadata: dict, summary: RunSummary) -> DatasetWriter:
    """The output's writer, after the leftovers of an interrupted or damaged earlier run are
    removed (their documents are processed again) and every table exists."""
    writer = DatasetWriter(out, metadata)
    writer.check_writable()
    recovered = writer.recover()
    if recovered:
        logger.warning("removed %d files left by an interrupted earlier run or damaged since", len(recovered))
    writer.ensure_tables()
    for key, what in writer.last_damaged.items():
        logger.warning("batch %s was damaged (%s): removed, its documents are processed again", key, what)
    summary.damaged = len(writer.last_damaged)
    return writer


def _triage(documents: list, sources: Sources, seen: set[str], force: bool, summary: RunSummary) -> tuple[list, set[str]]:
    """Of the documents of a read batch: those to process (new, or committed and ``force``),
    and the ids whose rows go first (texts processed again, texts no record holds any more).
    Records the sources of every document on the way (a text met under several files or ids)."""
    fresh, redo = [], set()
    for doc in documents:
        # the record (file, id) held another text before: that text loses it, and goes
        # when no other record holds it (a changed page, a changed JSONL line)
        stale = sources.move(doc.source_key, doc.doc_id)
        if stale is not None and not sources.of(stale):
            redo.add(stale)
            summary.replaced += 1
        sources.add(doc.doc_id, doc.source_record())
        if doc.doc_id in seen:
            summary.duplicates += 1
            continue
        seen.add(doc.doc_id)
        if sources.committed(doc.doc_id):
            if not force:
                summary.skipped += 1
                continue
            redo.add(doc.doc_id)
        fresh.append(doc)
    return fresh, redo


def _record_failures(
    writer: DatasetWriter, metadata: dict, run_failures: list[Failure], read_inputs: set[str], summary: RunSummary
) -> None:
    """Write the run's failures (one met again and still open is not written twice) and close
    the open failures of inputs that now read without them."""
    if run_failures:
        still_open = writer.open_failures()
        new = [f for f in run_failures if (f.path, f.stage, f.error) not in still_open]
        if new:
            write_failures(writer, new, metadata)
        summary.failures += len(run_failures)
    failing = {(f.path, f.stage, f.error) for f in run_failures}
    failing |= {(f["path"], f["stage"], f["error"]) for f in summary.failed}
    summary.resolved = writer.resolve_failures(read_inputs, failing, batch.now_utc())
    summary.failed = [_failure_dict(f) for f in run_failures] + summary.failed


def _log_summary(logger, summary: RunSummary, in_flight: int) -> None:
    logger.info(
        "documents=%d skipped=%d replaced=%d articles=%d sentences=%d entities=%d relations=%d failures=%d seconds=%.2f",
        summary.documents,
        summary.skipped,
        summary.replaced,
        summary.articles,
        summary.sentences,
        summary.entities,
        summary.relations,
        summary.failures,
        summary.seconds,
    )
    logger.info(
        "start-up (model load in this process): %.2f s; first batch written after %s s",
        summary.startup_seconds,
        summary.first_batch_seconds,
    )
    logger.info(
        "seconds per stage, wall/CPU (summed over batches, %d in flight at a time): %s",
        in_flight,
        ", ".join(f"{k}={v:.2f}/{summary.stage_cpu_seconds.get(k, 0.0):.2f}" for k, v in summary.stage_seconds.items()),
    )


def run_report_markdown(summary: RunSummary) -> str:
    """The run's Markdown artifact: counts per table and label, stage seconds, failures."""
    lines = [f"# extract: {summary.out}", "", "| table | rows |", "|---|---:|"]
    for table in ("documents", "articles", "sentences", "entities", "relations", "failures"):
        lines.append(f"| {table} | {getattr(summary, table)} |")
    lines += [
        "",
        f"Inputs {summary.inputs}; already in the output (skipped) {summary.skipped}; "
        f"replaced (changed files) {summary.replaced}; duplicates {summary.duplicates}; "
        f"ignored {summary.ignored}; wall seconds {summary.seconds}.",
        "",
    ]
    lines += ["| entity label | count |", "|---|---:|"]
    lines += [f"| {label} | {n} |" for label, n in summary.labels.items()] or ["| (none) | 0 |"]
    lines += [
        "",
        f"Start-up (model load in the flow's process): {summary.startup_seconds} s; "
        f"first batch written after {summary.first_batch_seconds} s.",
        "",
    ]
    lines += ["| stage | wall seconds | CPU seconds |", "|---|---:|---:|"]
    lines += [
        f"| {stage} | {s:.2f} | {summary.stage_cpu_seconds.get(stage, 0.0):.2f} |" for stage, s in summary.stage_seconds.items()
    ]
    if summary.failed:
        lines += ["", "| failed input | stage | error |", "|---|---|---|"]
        for f in summary.failed:
            err = str(f["error"]).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {f['path']} | {f['stage']} | {err} |")
    return "\n".join(lines) + "\n"


async def publish_artifact(summary: RunSummary) -> None:
    from prefect.artifacts import acreate_markdown_artifact

    try:
        await acreate_markdown_artifact(
            markdown=run_report_markdown(summary),
            key="extract-summary",
            description=f"extract run into {summary.out}",
        )
    except Exception as exc:  # the data is written: a lost report is only logged
        get_run_logger().warning("could not publish the run artifact: %s", exc)


# -- training -----------------------------------------------------------------


@task(name="train-segmenter", **BATCH_TASK)
def train_segmenter_task(work: str, iterations: int, prune_threshold: float) -> dict:
    from pipeline.training import corpora, segmenter

    w = Path(work) / "pkuseg"
    words = corpora.pku_training_words()
    counts: dict = segmenter.prepare(corpora.peoples_daily_1998(), w / "data", extra_words=words)
    counts.update(segmenter.build_lexicon(w / "data" / "lexicon.txt"))
    segmenter.train(
        w / "data" / "train.txt", w / "data" / "dev.txt", w / "full", iterations=iterations, lexicon=w / "data" / "lexicon.txt"
    )
    counts.update(segmenter.prune(w / "full", w / "pruned", prune_threshold))
    counts["model_dir"] = str(w / "pruned")
    return counts


@task(name="build-gazetteer", **BATCH_TASK)
def build_gazetteer_task() -> dict:
    from pipeline.training import corpora, countries, gazetteers

    pd1998 = corpora.peoples_daily_1998()
    evidence = gazetteers.word_tag_counts(pd1998)  # one pass over the corpus for both
    return {**gazetteers.build(pd1998, evidence=evidence), **countries.build(pd1998, evidence=evidence)}


@task(name="train-ner", **BATCH_TASK)
def train_ner_task(
    work: str,
    segmenter_dir: str,
    max_steps: int,
    use_words: bool,
    lexicon: bool = True,
    sources: tuple[str, ...] | None = None,
    silver_labels: tuple[str, ...] | None = None,
    org_compounds: bool = True,
) -> dict:
    from pipeline.training import lexicon as lexicon_builder
    from pipeline.training import ner

    w = Path(work) / "ner"
    report: dict = {}
    overrides: dict = {"training.max_steps": max_steps, "nlp.tokenizer.use_words": use_words}
    if lexicon:
        report["lexicon"] = lexicon_builder.build(w / "lexicon.txt")
        overrides["nlp.tokenizer.lexicon"] = str(w / "lexicon.txt")
    report["data"] = ner.prepare(
        w / "data",
        sources=tuple(sources or ner.SOURCES),
        silver_labels=tuple(silver_labels or ner.SILVER_LABELS),
        org_compounds=org_compounds,
    )
    config = Path(__file__).resolve().parent.parent / "models" / "ner" / "config.cfg"
    report["model"] = str(ner.train(config, w / "data", w / "out", segmenter_dir, overrides))
    return report


@task(name="assemble", **BATCH_TASK)
def assemble_task(ner_model: str, segmenter_dir: str, out: str) -> str:
    from pipeline.training.assemble import assemble

    return str(assemble(ner_model, segmenter_dir, out))


@flow(name="train-models")
def train_models(
    work: str = "build/training",
    out: str | None = None,
    segmenter_iterations: int = 10,
    prune_threshold: float = 0.05,
    ner_max_steps: int = 20000,
    use_words: bool = True,
    segmenter_dir: str | None = None,
    ner_model: str | None = None,
    lexicon: bool = True,
    ner_sources: tuple[str, ...] | None = None,
) -> dict:
    """Train the segmenter and the NER from the public corpora and assemble ``models/zh_news``.

    ``segmenter_dir`` / ``ner_model`` reuse already trained parts.
    """
    from pipeline.nlp import pipeline_dir

    logger = get_run_logger()
    report: dict = {}
    if segmenter_dir is None:
        seg = train_segmenter_task(work, segmenter_iterations, prune_threshold)
        segmenter_dir = seg["model_dir"]
        report["segmenter"] = seg
    report["gazetteer"] = build_gazetteer_task()
    if ner_model is None:
        trained = train_ner_task(work, segmenter_dir, ner_max_steps, use_words, lexicon, sources=ner_sources)
        report["ner"] = trained
        ner_model = trained["model"]
    report["pipeline"] = assemble_task(ner_model, segmenter_dir, out or str(pipeline_dir()))
    logger.info("trained: %s", report)
    return report
