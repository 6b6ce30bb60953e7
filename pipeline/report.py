"""An HTML report of an output directory: ``python -m pipeline report OUT --html FILE``.

One self-contained page (no scripts, no web fonts, no map tiles: it opens
offline): run counts, then per article its text with the entities
highlighted (spaCy's displaCy), the entities found in bylines and captions,
its relations; the metrics per place and time; a map of the places linked to
admin codes, plotted from their longitude and latitude over the faint dots
of every division of the gazetteer; and the failures.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

from pipeline import __version__, schema

LABEL_COLORS = {
    "GPE": "#7aecec",
    "LOC": "#9cc9cc",
    "FAC": "#ddd",
    "ORG": "#feca74",
    "PERSON": "#aa9cfc",
    "QUANTITY": "#e4e7d2",
    "MONEY": "#e4e7d2",
    "PERCENT": "#e4e7d2",
    "DATE": "#bfe1d9",
}

_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Source Han Sans SC",sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em} h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2em} h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em} td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3} .num{text-align:right} .meta{color:#666;font-size:.9em} .article{margin-bottom:2.5em}
.muted{color:#888} svg{background:#fbfbfd;border:1px solid #ddd}
"""


def load_tables(out_dir: str | Path) -> dict[str, list[dict]]:
    out = Path(out_dir)
    missing = [name for name in schema.TABLES if not (out / name).is_dir()]
    if missing:
        raise FileNotFoundError(f"{out} is not a pipeline output directory (no {', '.join(missing)})")
    from pipeline.io.parquet import read_table

    documents = read_table(out, "documents")
    committed = documents.column("doc_id").combine_chunks()
    return {
        name: (documents if name == "documents" else read_table(out, name, committed=committed)).to_pylist()
        for name in schema.TABLES
    }


def render_report(out_dir: str | Path) -> str:
    t = load_tables(out_dir)
    ents_by_article: dict[str, list[dict]] = defaultdict(list)
    for e in t["entities"]:
        ents_by_article[e["article_id"]].append(e)
    rels_by_article: dict[str, list[dict]] = defaultdict(list)
    for r in t["relations"]:
        rels_by_article[r["article_id"]].append(r)
    sentences = {s["sent_id"]: s for s in t["sentences"]}
    articles = sorted(t["articles"], key=lambda a: (a["doc_id"], a["index"]))
    docs = {d["doc_id"]: d for d in t["documents"]}

    parts = [
        "<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>",
        f"<title>{_e(str(out_dir))}: extraction report</title><style>{_CSS}</style></head><body>",
        f"<h1>Extraction report: {_e(str(out_dir))}</h1>",
        f"<p class='meta'>zhnews-pipeline {__version__}, schema {schema.SCHEMA_VERSION}, "
        f"rendered {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC</p>",
        _counts(t),
        _places_map(t["entities"]),
        _metrics(t["relations"], t["entities"]),
    ]
    parts.append("<h2>Articles</h2>")
    for a in articles:
        parts.append(
            _article(a, docs.get(a["doc_id"]), ents_by_article[a["article_id"]], rels_by_article[a["article_id"]], sentences)
        )
    parts.append(_failures(t["failures"]))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(out_dir: str | Path, html_path: str | Path) -> Path:
    from pipeline.io.parquet import write_text_atomic

    path = Path(html_path)
    if path.is_dir():
        raise IsADirectoryError(f"--html {path} is a directory: give the path of the HTML file to write")
    write_text_atomic(render_report(out_dir), path)
    return path


# -- sections ------------------------------------------------------------------


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _counts(t: dict[str, list[dict]]) -> str:
    rows = "".join(f"<tr><td>{name}</td><td class='num'>{len(t[name])}</td></tr>" for name in schema.TABLES)
    labels = Counter(e["label"] for e in t["entities"])
    lrows = "".join(f"<tr><td>{_e(k)}</td><td class='num'>{v}</td></tr>" for k, v in sorted(labels.items()))
    return (
        "<h2>Counts</h2><div style='display:flex;gap:2em'>"
        f"<table><tr><th>table</th><th>rows</th></tr>{rows}</table>"
        f"<table><tr><th>entity label</th><th>mentions</th></tr>{lrows}</table></div>"
    )


def _article(a: dict, doc: dict | None, ents: list[dict], rels: list[dict], sentences: dict) -> str:
    from spacy import displacy

    spans, outside = [], []
    last_end = -1
    for e in sorted(ents, key=lambda e: (e["start"] if e["start"] is not None else -1, -(e["end"] or 0))):
        if e["start"] is None:
            outside.append(e)
        elif e["start"] >= last_end:  # displaCy draws non-overlapping spans
            spans.append({"start": e["start"], "end": e["end"], "label": e["label"]})
            last_end = e["end"]
    rendered = displacy.render(
        {"text": a["clean_text"], "ents": spans, "title": None},
        style="ent",
        manual=True,
        page=False,
        jupyter=False,
        options={"colors": LABEL_COLORS},
    )
    meta = []
    if a.get("agency"):
        meta.append(_e(a["agency"]))
    people = (a.get("reporters") or []) + (a.get("correspondents") or [])
    if people:
        meta.append("记者/通讯员 " + _e("、".join(people)))
    if a.get("dateline_place") or a.get("dateline_date"):
        meta.append(_e(f"{a.get('dateline_place') or ''} {a.get('dateline_date') or ''}"))
    if a.get("continued_from"):
        meta.append(f"continued from {_e(a['continued_from'])}")
    if a.get("truncated"):
        meta.append("truncated")
    if doc:
        meta.append(f"<span class='muted'>{_e(Path(doc['path']).name)}</span>")
    head = _e(a.get("headline") or "(no headline)")
    html_parts = [f"<div class='article'><h3>{head}</h3><p class='meta'>{' · '.join(meta)}</p>", rendered]
    if outside:
        rows = "".join(
            f"<tr><td>{_e(e['text'])}</td><td>{_e(e['label'])}</td><td>{_e(sentences.get(e['sent_id'], {}).get('kind'))}</td>"
            f"<td>{_e(e['normalized'])}</td><td>{_e(e['kb_id'])}</td><td>{_e(e['source'])}</td></tr>"
            for e in outside
        )
        html_parts.append(
            "<p class='meta'>Entities in bylines, datelines and captions:</p>"
            "<table><tr><th>text</th><th>label</th><th>where</th><th>normalized</th><th>kb_id</th><th>source</th></tr>"
            f"{rows}</table>"
        )
    html_parts.append(_relations_table(rels))
    html_parts.append("</div>")
    return "\n".join(html_parts)


def _relations_table(rels: list[dict]) -> str:
    if not rels:
        return "<p class='meta'>No relations in this article.</p>"
    rows = []
    for r in sorted(rels, key=lambda r: (r["label"], r["head_text"])):
        attrs = r.get("attrs") or {}
        attr_text = "; ".join(f"{k}={v}" for k, v in attrs.items() if v)
        rows.append(
            f"<tr><td>{_e(r['head_text'])}</td><td>{_e(r['label'])}</td><td>{_e(r['tail_text'])}</td>"
            f"<td>{_e(attr_text)}</td><td>{_e(r['source'])}</td></tr>"
        )
    return (
        "<table><tr><th>head</th><th>relation</th><th>tail</th><th>attributes</th><th>rule</th></tr>" + "".join(rows) + "</table>"
    )


def _metrics(relations: list[dict], entities: list[dict]) -> str:
    ents = {e["ent_id"]: e for e in entities}
    rows = []
    for r in relations:
        if r["label"] != "metric":
            continue
        head = ents.get(r["head_ent_id"], {})
        tail = ents.get(r["tail_ent_id"] or "", {})
        attrs = r.get("attrs") or {}
        place = head.get("normalized") or r["head_text"]
        period = _period(attrs.get("time_start"), attrs.get("time_end"))
        # sorted by place, then by period (its end, then its start; no period last)
        order = (attrs.get("time_end") or attrs.get("time_start") or date.max, attrs.get("time_start") or date.min)
        rows.append(
            (
                place,
                order,
                attrs.get("time") or "",
                period,
                attrs.get("indicator") or "",
                r["tail_text"] or "",
                tail.get("value"),
                tail.get("unit") or "",
                attrs.get("status") or "",
            )
        )
    if not rows:
        return "<h2>Metrics per place and time</h2><p class='meta'>No metric relations in this output.</p>"
    rows.sort(key=lambda x: (x[0], x[1], x[4]))
    body = "".join(
        f"<tr><td>{_e(p)}</td><td>{_e(tm)}</td><td>{_e(per)}</td><td>{_e(ind)}</td><td>{_e(txt)}</td>"
        f"<td class='num'>{_number(v)}</td><td>{_e(u)}</td><td>{_e(st)}</td></tr>"
        for p, _, tm, per, ind, txt, v, u, st in rows
    )
    return (
        "<h2>Metrics per place and time</h2><table><tr><th>subject</th><th>time</th><th>period</th><th>indicator</th>"
        f"<th>as written</th><th>value</th><th>unit</th><th>status</th></tr>{body}</table>"
    )


def _period(start, end) -> str:
    if start is None and end is None:
        return ""
    if start == end:
        return start.isoformat()
    return f"{start.isoformat() if start else '…'} – {end.isoformat() if end else '…'}"


def _number(v: float | None) -> str:
    """12,700 / 63,050,000,000 / 2.3: thousands separators, no exponent, no trailing zeros."""
    if v is None:
        return ""
    text = f"{v:,.4f}".rstrip("0").rstrip(".")
    return text


def _places_map(entities: list[dict], width: int = 900, height: int = 620) -> str:
    """Linked places as circles (area ~ mentions) over all divisions as faint dots."""
    from pipeline.nlp.linking.gazetteer import default_gazetteer

    divisions = default_gazetteer().divisions
    mentions = Counter(e["kb_id"] for e in entities if e["label"] == "GPE" and e["kb_id"] in divisions)
    title = "<h2>Places linked to admin codes</h2>"
    if not mentions:
        return title + "<p class='meta'>No place in this output is linked to an admin code.</p>"
    located = [(d.lon, d.lat) for d in divisions.values() if d.lon is not None and d.lat is not None]
    lon0, lon1 = 73.0, 135.5  # mainland China and its neighbours' edge
    lat0, lat1 = 17.5, 54.0
    pad = 20

    def xy(lon: float, lat: float) -> tuple[float, float]:
        x = pad + (lon - lon0) / (lon1 - lon0) * (width - 2 * pad)
        y = pad + (lat1 - lat) / (lat1 - lat0) * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    dots = "".join(f"<circle cx='{x}' cy='{y}' r='1' fill='#c8cbd6'/>" for x, y in (xy(lon, lat) for lon, lat in located))
    marks, rows = [], []
    for code, n in mentions.most_common():
        d = divisions[code]
        rows.append(
            f"<tr><td>{_e(d.name)}</td><td>{code}</td><td>{d.level}</td><td class='num'>{n}</td>"
            f"<td class='num'>{'' if d.lon is None else f'{d.lon:.3f}, {d.lat:.3f}'}</td></tr>"
        )
        if d.lon is None:
            continue
        assert d.lat is not None  # formatted with d.lon in the row above
        x, y = xy(d.lon, d.lat)
        r = 4 + 3 * n**0.5
        marks.append(
            f"<circle cx='{x}' cy='{y}' r='{r:.1f}' fill='#e4572e' fill-opacity='0.55' stroke='#a8321b'>"
            f"<title>{_e(d.name)} ({code}): {n}</title></circle>"
        )
        marks.append(f"<text x='{x + r + 2}' y='{y + 4}' font-size='12'>{_e(d.name)}</text>")
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
        f"role='img' aria-label='map of linked places'>{dots}{''.join(marks)}"
        f"<text x='{pad}' y='{height - 6}' font-size='11' fill='#888'>lon {lon0}–{lon1}°E, lat {lat0}–{lat1}°N; "
        "grey: every division of the gazetteer</text></svg>"
    )
    table = (
        "<table><tr><th>place</th><th>code</th><th>level</th><th>mentions</th><th>lon, lat</th></tr>" + "".join(rows) + "</table>"
    )
    return title + svg + table


def _failures(failures: list[dict]) -> str:
    if not failures:
        return "<h2>Failures</h2><p class='meta'>None.</p>"
    rows = "".join(f"<tr><td>{_e(f['path'])}</td><td>{_e(f['stage'])}</td><td>{_e(f['error'])}</td></tr>" for f in failures)
    return f"<h2>Failures</h2><table><tr><th>input</th><th>stage</th><th>error</th></tr>{rows}</table>"
