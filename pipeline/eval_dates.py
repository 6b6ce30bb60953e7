"""``python -m pipeline eval dates FILE``: exact-interval accuracy of date resolution.

The gold file (``data/gold/dates.jsonl``) holds one time expression per line with the
publication date it is read against and the expected inclusive interval
(``start``/``end``, null where the expression stands for no interval: a duration, a
season, a vague word). A resolution is exact when both ends equal the gold's. The
peer is JioNLP's ``parse_time`` (PyPI ``jionlp``, optional): its end time's date is taken
as the end, its start time's date as the start; an expression it refuses counts as null.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


@dataclass(frozen=True)
class GoldDate:
    text: str
    published: date
    start: date | None
    end: date | None
    source: str
    note: str | None = None


def load_gold(path: str | Path) -> list[GoldDate]:
    items = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            items.append(
                GoldDate(
                    obj["text"],
                    date.fromisoformat(obj["published"]),
                    date.fromisoformat(obj["start"]) if obj.get("start") else None,
                    date.fromisoformat(obj["end"]) if obj.get("end") else None,
                    obj.get("source", ""),
                    obj.get("note"),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: {exc}") from None
    return items


Resolve = Callable[[str, date], tuple[date | None, date | None]]


def ours() -> Resolve:
    from pipeline.dates import resolver

    r = resolver()

    def resolve(text: str, published: date):
        found = r.resolve(text, published)
        return (None, None) if found is None else (found.start, found.end)

    return resolve


def jionlp() -> Resolve:
    """JioNLP's ``parse_time`` as a peer (``pip install jionlp``)."""
    import jionlp as jio

    def resolve(text: str, published: date):
        base = datetime(published.year, published.month, published.day).timestamp()
        try:
            parsed = jio.parse_time(text, time_base=base)
        except Exception:  # it raises on what it cannot parse
            return None, None
        if not parsed or parsed.get("type") not in ("time_point", "time_span"):
            return None, None  # time_delta (a duration), time_period (recurring): no interval
        start, end = parsed["time"]

        def to_date(s: str | None):
            return None if s in (None, "inf", "-inf") else datetime.strptime(s, "%Y-%m-%d %H:%M:%S").date()

        try:
            return to_date(start), to_date(end)
        except (TypeError, ValueError):
            return None, None

    return resolve


def evaluate(gold: list[GoldDate], resolve: Resolve) -> dict:
    """Exact-interval accuracy, overall and per source, with the cases it gets wrong."""
    right: Counter = Counter()
    total: Counter = Counter()
    wrong = []
    for g in gold:
        src = g.source.split(":")[0]
        start, end = resolve(g.text, g.published)
        total[src] += 1
        if (start, end) == (g.start, g.end):
            right[src] += 1
        else:
            wrong.append(
                {
                    "text": g.text,
                    "published": g.published.isoformat(),
                    "source": g.source,
                    "gold": [_iso(g.start), _iso(g.end)],
                    "got": [_iso(start), _iso(end)],
                    "note": g.note,
                }
            )
    n, k = sum(total.values()), sum(right.values())
    return {
        "n": n,
        "exact": k,
        "accuracy": round(k / n, 4) if n else 0.0,
        "by_source": {s: {"n": total[s], "exact": right[s], "accuracy": round(right[s] / total[s], 4)} for s in sorted(total)},
        "wrong": wrong,
    }


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def print_report(reports: dict[str, dict], errors: bool) -> None:
    names = list(reports)
    print(f"{'system':<10} {'exact':>7} {'n':>5} {'accuracy':>9}   " + "   ".join(f"{s}" for s in reports[names[0]]["by_source"]))
    for name, rep in reports.items():
        per = "   ".join(f"{v['accuracy']:.3f} ({v['exact']}/{v['n']})" for v in rep["by_source"].values())
        print(f"{name:<10} {rep['exact']:>7} {rep['n']:>5} {rep['accuracy']:>9.3f}   {per}")
    if errors:
        for name, rep in reports.items():
            print(f"\n{name}: {len(rep['wrong'])} wrong")
            for w in rep["wrong"]:
                note = f"  ({w['note']})" if w.get("note") else ""
                print(
                    f"  {w['text']:<18} pub {w['published']}  gold {w['gold'][0]}..{w['gold'][1]}  got {w['got'][0]}..{w['got'][1]}{note}"
                )
