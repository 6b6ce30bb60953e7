"""Command line: ``python -m pipeline run INPUT... --out DIR`` (also ``pipeline run``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from pipeline import __version__, settings

#: exit status when another run holds the output directory (EX_TEMPFAIL: try again later)
EXIT_LOCKED = 75
#: exit status when writing the output failed during the run (EX_IOERR)
EXIT_WRITE_FAILED = 74
#: exit status when some inputs failed (failure rows written) and the rest was written
EXIT_SOME_FAILED = 1
#: exit status of a run that crashed (an error of the pipeline itself, not of an input; EX_SOFTWARE)
EXIT_CRASHED = 70
#: failed inputs printed at most (the failures table keeps every one)
MAX_FAILURES_PRINTED = 20


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Chinese news information extraction: raw pages in, Parquet out.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the extraction flow over files, directories or globs")
    run.add_argument("inputs", nargs="+", metavar="INPUT", help=".txt/.md pages, .jsonl files, directories (recursive) or globs")
    run.add_argument("--out", required=True, metavar="DIR", help="output directory (one Parquet dataset per table)")
    run.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="most documents per task batch (default: $PIPELINE_BATCH_SIZE or 256; a batch also "
        "closes at $PIPELINE_BATCH_CHARS characters, default 200,000)",
    )
    run.add_argument("--force", action="store_true", help="process documents again even when they are already in the output")
    run.add_argument("-v", "--verbose", action="store_true", help="show Prefect's log lines")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--lock-timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long to wait for another run writing the same --out (default 3600; 0 = fail at once)",
    )

    run.add_argument(
        "--published",
        metavar="YYYY-MM-DD",
        type=_iso_date,
        default=None,
        help="publication date of the inputs that carry none (no JSONL date, no date in the path)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes on this machine: N > 1 is --dask local:N (default: 1, this process)",
    )
    run.add_argument(
        "--dask",
        metavar="SPEC",
        default=os.environ.get("PIPELINE_DASK") or None,
        help="run the batch tasks on Dask: local:N (a local cluster of N worker processes) "
        "or tcp://HOST:PORT (an existing scheduler; needs PREFECT_API_URL)",
    )

    serve = sub.add_parser("serve", help="serve the extraction flow on a schedule (needs a Prefect server)")
    serve.add_argument("inputs", nargs="+", metavar="INPUT")
    serve.add_argument("--out", required=True, metavar="DIR")
    when = serve.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", help='cron schedule, e.g. "0 2 * * *" (02:00 every night)')
    when.add_argument("--interval", type=float, metavar="SECONDS", help="run every SECONDS seconds")
    serve.add_argument("--timezone", default=None, help="time zone of the cron schedule (default UTC)")
    serve.add_argument("--name", default="nightly", help="deployment name (default: nightly)")
    serve.add_argument("--batch-size", type=int, default=None)
    serve.add_argument("--force", action="store_true")

    compact = sub.add_parser("compact", help="merge an output directory's small part files into files of a target size")
    compact.add_argument("out_dir", metavar="OUT_DIR", help="an output directory of `pipeline run`")
    compact.add_argument(
        "--target-mb",
        type=float,
        default=128.0,
        metavar="MB",
        help="merge consecutive batches until their largest table reaches this size (default 128)",
    )
    compact.add_argument("--lock-timeout", type=float, default=3600.0, metavar="SECONDS")

    report = sub.add_parser("report", help="render an output directory as one HTML page")
    report.add_argument("out_dir", metavar="OUT_DIR", help="an output directory of `pipeline run`")
    report.add_argument("--html", required=True, metavar="FILE", help="where to write the page")

    from pipeline import eval_cli

    eval_cli.add_parser(sub)

    train = sub.add_parser("train", help="train the segmenter and the NER from the public corpora (make models)")
    train.add_argument("--work", default="build/training", help="working directory for data and checkpoints")
    train.add_argument("--out", default=None, help="where to write the assembled pipeline (default: models/zh_news)")
    train.add_argument("--segmenter-iterations", type=int, default=10)
    train.add_argument("--ner-max-steps", type=int, default=20000)
    train.add_argument("--segmenter-dir", default=None, help="reuse a trained pkuseg model directory")
    train.add_argument("--ner-model", default=None, help="reuse a trained spaCy NER (model-best directory)")
    train.add_argument("--chars-only", action="store_true", help="no pkuseg word features (the char baseline)")
    train.add_argument("--no-lexicon", action="store_true", help="no name-lexicon features (jieba's nr/ns/nt names)")
    train.add_argument(
        "--ner-sources",
        default=None,
        help="comma-separated NER training sources (default msra-train,pd-ner,pd1998-silver,cluener)",
    )
    package = sub.add_parser(
        "package", help="build installable wheels of the project and of its spaCy pipeline zh_news (make package)"
    )
    package.add_argument("--dist", default="dist", help="where to write the wheels (default: dist/)")
    package.add_argument(
        "--packs", default=None, help="comma-separated rule packs written into the pipeline's config (default: none)"
    )
    package.add_argument("--pipeline-only", action="store_true", help="only the pipeline's wheel, not the project's")
    return parser


def _iso_date(text: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.command in ("run", "serve", "report", "eval", "compact"):
        try:
            settings.validate()
            if getattr(args, "dask", None):
                settings.dask_spec(args.dask)
        except settings.SettingsError as exc:
            from rich.console import Console

            Console(stderr=True).print(f"[red]error:[/] {exc}")
            return 2
    if args.command == "run":
        return cmd_run(args)
    if args.command == "eval":
        from pipeline import eval_cli

        return eval_cli.run(args)
    if args.command == "train":
        return cmd_train(args)
    if args.command == "serve":
        return cmd_serve(args)
    if args.command == "report":
        return cmd_report(args)
    if args.command == "compact":
        return cmd_compact(args)
    if args.command == "package":
        return cmd_package(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


def cmd_package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.packaging import build

    packs = tuple(p for p in args.packs.split(",") if p) if args.packs is not None else None
    for wheel in build(Path(args.dist), packs=packs, project=not args.pipeline_only):
        print(wheel)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    settings.prefect_defaults()
    from pipeline.flows import train_models

    report = train_models(
        work=args.work,
        out=args.out,
        segmenter_iterations=args.segmenter_iterations,
        ner_max_steps=args.ner_max_steps,
        use_words=not args.chars_only,
        segmenter_dir=args.segmenter_dir,
        ner_model=args.ner_model,
        lexicon=not args.no_lexicon,
        ner_sources=tuple(args.ner_sources.split(",")) if args.ner_sources else None,
    )
    print(report)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipeline.report import write_report

    try:
        path = write_report(args.out_dir, args.html)
    except OSError as exc:  # not an output directory, --html a directory, unwritable...
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        return 2
    _stdout().print(f"report written to {path.resolve()}")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    """Merge small part files under the output lock (a running extraction is waited for)."""
    from rich.console import Console

    from pipeline.io.compact import compact
    from pipeline.io.lock import OutputLock, OutputLocked

    console = Console(stderr=True)
    out = Path(args.out_dir)
    if not (out / "documents").is_dir():
        console.print(f"[red]error:[/] {out} is not a pipeline output directory (no documents/)")
        return 2
    if args.target_mb <= 0:
        console.print("[red]error:[/] --target-mb must be positive")
        return 2
    try:
        with OutputLock(
            out, timeout=args.lock_timeout, on_wait=lambda who: console.print(f"waiting for the run that holds {out} ({who})")
        ):
            report = compact(out, int(args.target_mb * (1 << 20)))
    except OutputLocked as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_LOCKED
    except OSError as exc:
        console.print(f"[red]error:[/] compaction failed: {exc}\nThe output is intact; run the same command again.")
        return EXIT_WRITE_FAILED
    _stdout().print(
        f"{report.files_before} part files -> {report.files_after}: {report.batches_merged} batches merged "
        f"into {report.groups}, {report.failure_parts_merged} failure parts into "
        f"{1 if report.failure_parts_merged else 0}; rows unchanged: " + ", ".join(f"{k} {v}" for k, v in report.rows.items())
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """``flow.serve``: a long-lived process that creates a deployment with the
    schedule and runs its flow runs. Scheduling needs a Prefect server."""
    from rich.console import Console

    console = Console(stderr=True)
    settings.prefect_defaults()
    import prefect.settings

    if not (os.environ.get("PREFECT_API_URL") or prefect.settings.PREFECT_API_URL.value()):
        console.print(
            "[red]error:[/] scheduling needs a running Prefect server (the ephemeral mode cannot schedule).\n"
            "  start one:  DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false prefect server start --host 127.0.0.1\n"
            "  then:       export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
        return 2
    from pipeline.flows import extract

    inputs = [str(Path(i).resolve()) if not any(c in i for c in "*?[") else i for i in args.inputs]
    parameters = {"inputs": inputs, "out": str(Path(args.out).resolve()), "batch_size": args.batch_size, "force": args.force}
    schedule = {"cron": args.cron} if args.cron else {"interval": args.interval}
    if args.cron and args.timezone:
        from prefect.schedules import Cron

        schedule = {"schedule": Cron(args.cron, timezone=args.timezone)}
    extract.serve(name=args.name, parameters=parameters, **schedule)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(stderr=True)
    if args.batch_size is not None and args.batch_size < 1:
        console.print("[red]error:[/] --batch-size must be at least 1")
        return 2
    if args.workers is not None:
        if args.workers < 1:
            console.print("[red]error:[/] --workers must be at least 1")
            return 2
        if args.dask and args.workers > 1:
            console.print("[red]error:[/] give --workers or --dask, not both")
            return 2
        if args.workers > 1:
            args.dask = f"local:{args.workers}"
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-probe.{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        console.print(f"[red]error:[/] cannot write to output directory {out}: {exc.strerror or exc}")
        return 2

    settings.prefect_defaults()
    from pipeline import ephemeral

    # a temporary Prefect server left by a killed earlier run goes; ours is marked, so that
    # the next run can stop it if this one is killed
    reaped = ephemeral.reap_orphans()
    if reaped:
        console.print(f"note: stopped {len(reaped)} temporary Prefect server(s) left by killed earlier runs")
    ephemeral.mark_owner()
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    from pipeline.flows import DaskConfigError
    from pipeline.io.lock import OutputLocked

    t0 = time.perf_counter()
    try:
        summary = _run_with_progress(args, console)
        summary["command_seconds"] = round(time.perf_counter() - t0, 2)
    except OutputLocked as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_LOCKED
    except DaskConfigError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except OSError as exc:  # e.g. the output became read-only or full during the run
        console.print(
            f"[red]error:[/] writing the output failed: {exc}\n"
            "Batches committed before the error are complete; nothing half-written is visible. "
            "Fix the cause and run the same command again to resume."
        )
        return EXIT_WRITE_FAILED
    except Exception as exc:  # a bug, or a broken installation: not "some inputs failed"
        import traceback

        console.print(
            f"[red]error:[/] the run crashed: {type(exc).__name__}: {exc}\n"
            "Batches committed before the error are complete; nothing half-written is visible. "
            f"Please report this with the traceback below (exit status {EXIT_CRASHED})."
        )
        console.print("".join(traceback.format_exception(exc))[-4000:], markup=False, highlight=False)
        return EXIT_CRASHED
    _print_summary(summary, console)
    return EXIT_SOME_FAILED if summary["failures"] else 0


def _run_with_progress(args: argparse.Namespace, console) -> dict:
    from pipeline.flows import ApiForWorkers, extract, task_runner_for

    flow = extract.with_options(task_runner=task_runner_for(args.dask)) if args.dask else extract
    kwargs = dict(
        inputs=list(args.inputs),
        out=str(args.out),
        batch_size=args.batch_size,
        force=args.force,
        lock_timeout=args.lock_timeout,
        in_flight=in_flight_for(args.dask),
        published=args.published,
    )
    with ApiForWorkers(args.dask):
        if args.no_progress or not console.is_terminal:
            return asyncio.run(flow(**kwargs))
        return _with_progress_bar(lambda: asyncio.run(flow(**kwargs)), console)


def in_flight_for(spec: str | None) -> int:
    """Batches in flight at a time: one per process. ``local:N``: N workers; a remote
    cluster: ``PIPELINE_IN_FLIGHT`` (default 8); no Dask: 1."""
    if spec and spec.startswith("local:"):
        try:
            return max(1, int(spec.split(":", 1)[1]))
        except ValueError:
            return 1
    if spec:
        return settings.in_flight()
    return 1


def _with_progress_bar(run, console) -> dict:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipeline import progress as hook

    columns = (TextColumn("[bold]extract[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("documents"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task_id = bar.add_task("extract", total=None)
        hook.set_reporter(lambda done, total: bar.update(task_id, completed=done, total=total or None))
        try:
            return run()
        finally:
            hook.set_reporter(None)


def _print_summary(summary: dict, console) -> None:
    from rich.table import Table

    table = Table(title=f"output: {summary['out']}", show_header=True)
    for col in ("documents", "articles", "sentences", "entities", "relations", "failures", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(
        *(str(summary[c]) for c in ("documents", "articles", "sentences", "entities", "relations", "failures", "seconds"))
    )
    out = _stdout()
    out.print(table)
    notes = []
    if summary.get("replaced"):
        notes.append(f"{summary['replaced']} earlier versions of changed files replaced")
    if summary.get("skipped"):
        notes.append(f"{summary['skipped']} already in the output (skipped; --force redoes them)")
    if summary.get("duplicates"):
        notes.append(f"{summary['duplicates']} duplicate inputs (same text) processed once")
    if summary.get("ignored"):
        notes.append(f"{summary['ignored']} files with other extensions ignored in directories")
    if summary.get("damaged"):
        notes.append(f"{summary['damaged']} damaged batches (a part deleted or changed) found and redone")
    if summary.get("resolved"):
        notes.append(f"{summary['resolved']} failures of earlier runs no longer occur (marked resolved)")
    if summary.get("sources_updated"):
        notes.append(f"{summary['sources_updated']} documents' input records updated (a text met under another file or id)")
    for note in notes:
        out.print(f"note: {note}")
    stages = summary.get("stage_seconds") or {}
    cpu = summary.get("stage_cpu_seconds") or {}
    if stages:
        out.print("stages, wall/CPU seconds: " + ", ".join(f"{k} {v:.2f}/{cpu.get(k, 0.0):.2f}" for k, v in stages.items()))
    if "command_seconds" in summary:
        overhead = summary["command_seconds"] - summary["seconds"]
        out.print(
            f"start-up: Prefect and the flow run {overhead:.2f} s, model load {summary.get('startup_seconds', 0.0):.2f} s; "
            f"first batch written {summary.get('first_batch_seconds')} s into the run"
        )
    from rich.markup import escape

    failed = summary.get("failed", [])
    for f in failed[:MAX_FAILURES_PRINTED]:
        console.print(f"[red]failed[/] {escape(str(f['path']))} ({f['stage']}): {escape(str(f['error']))}", highlight=False)
    if len(failed) > MAX_FAILURES_PRINTED:
        console.print(
            f"[red]... and {len(failed) - MAX_FAILURES_PRINTED:,} more failed inputs[/]: all are in "
            f"{Path(summary['out']).resolve() / 'failures'}/"
        )
    out.print(f"tables written under {Path(summary['out']).resolve()}/")


def _stdout():
    from rich.console import Console

    return Console()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
