"""``python -m pipeline eval ...``: scores for researchers who tune rules and models.

* ``eval seg --gold FILE [--json]`` -- word segmentation P/R/F (SIGHAN way).
* ``eval ner --corpus msra PATH`` -- MSRA/People's Daily char-BIO file, our
  labels mapped to PER/LOC/ORG (guidelines).
* ``eval ner --gold data/gold/X.entities.jsonl [--text PAGE]`` -- the full
  stage pipeline (cleaning, splitting, NER) on a page against hand-made gold
  with raw offsets and our labels; also PLACE = GPE+LOC+FAC.
* ``eval pages [DIR ...]`` -- the real stages on every annotated page
  (``NAME.txt`` + ``NAME.gold.json``; default ``../shared/dev-pages`` and the
  sample page): entities per label, per coarse class and ORG+PLACE, values,
  relations, per page and micro (``pipeline/eval_pages.py``).
* ``--by-rule`` adds each rule's hits, precision and the recall it adds, and
  what each veto removed; ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from spacy.tokens import Doc, Span

from pipeline.evaluate import (
    CORPUS_LABELS,
    PLACE_LABELS,
    Mention,
    by_rule,
    oov_recall,
    same_value,
    score_mentions,
    segmentation_prf,
)
from pipeline.records import QUANTITY_LABELS


def add_parser(sub) -> None:
    ev = sub.add_parser("eval", help="evaluate segmentation, NER (and later relations) against gold data")
    evsub = ev.add_subparsers(dest="what", required=True)
    seg = evsub.add_parser("seg", help="word segmentation P/R/F against a SIGHAN gold file")
    seg.add_argument("--gold", required=True, help="gold file: words separated by spaces, one sentence per line")
    seg.add_argument("--model", default=None, help="pkuseg model directory (default: the shipped one)")
    seg.add_argument(
        "--words",
        default=None,
        help="the bakeoff's training word list (e.g. pku_training_words.utf8): adds OOV rate, R_oov, R_iv",
    )
    seg.add_argument("--json", action="store_true")
    ner = evsub.add_parser("ner", help="NER P/R/F per label and micro")
    src = ner.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--corpus",
        nargs=2,
        metavar=("NAME", "PATH"),
        help="a char-BIO corpus file, e.g. msra PATH; msra-dev TRAIN_PATH scores the development split of MSRA train",
    )
    src.add_argument("--gold", help="gold entities JSONL with raw offsets (data/gold/*.entities.jsonl)")
    ner.add_argument("--text", help="the page the gold annotates (default: data/samples/<stem>.txt)")
    ner.add_argument("--by-rule", action="store_true", help="each rule's hits, precision and added recall")
    ner.add_argument("--limit", type=int, default=0, help="only the first N sentences of a corpus")
    ner.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="PREFIX",
        help="switch off rules whose id starts with PREFIX (repeatable; 'model' drops the statistical NER, 'rules' the whole rule component)",
    )
    ner.add_argument("--json", action="store_true")
    pages = evsub.add_parser("pages", help="entities, values and relations on many annotated pages, per page and micro")
    pages.add_argument(
        "dirs", nargs="*", help="directories of NAME.txt + NAME.gold.json (default: ../shared/dev-pages and data/gold)"
    )
    pages.add_argument("--errors", action="store_true", help="list missed and spurious entities and relations per page")
    pages.add_argument(
        "--by-rule", action="store_true", help="each rule's hits and precision over the pages, and what switching it off costs"
    )
    pages.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="PREFIX",
        help="switch off rules whose id starts with PREFIX (repeatable; 'model' drops the statistical NER)",
    )
    pages.add_argument(
        "--packs",
        default=None,
        metavar="A,B",
        help="rule packs of rules/packs/ for every page of this run (default: each page's NAME.packs if it has one, else none)",
    )
    pages.add_argument(
        "--gold-entities",
        action="store_true",
        help="run relation extraction on the gold entities, to tell relation errors from entity errors",
    )
    pages.add_argument("--json", action="store_true")
    dates = evsub.add_parser("dates", help="exact-interval accuracy of date resolution against a gold file")
    dates.add_argument(
        "gold", nargs="?", default="data/gold/dates.jsonl", help="gold dates JSONL (default data/gold/dates.jsonl)"
    )
    dates.add_argument(
        "--peer",
        action="append",
        default=[],
        choices=["jionlp"],
        help="score a peer on the same set too (jionlp: pip install jionlp)",
    )
    dates.add_argument("--errors", action="store_true", help="list the expressions each system gets wrong")
    dates.add_argument("--json", action="store_true")
    rel = evsub.add_parser("relations", help="relation P/R/F per label and micro against a gold file")
    rel.add_argument("--gold", required=True, help="gold relations JSONL (data/gold/*.relations.jsonl)")
    rel.add_argument("--text", help="the page the gold annotates (default: data/samples/<stem>.txt)")
    rel.add_argument("--errors", action="store_true", help="list missed and spurious relations and wrong attributes")
    rel.add_argument("--by-rule", action="store_true", help="each rule's relations, its precision and the recall only it adds")
    rel.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    if args.what in ("ner", "pages") and args.without:
        _apply_ablation(args.without)
    if args.what == "pages":
        return run_pages(args)
    if args.what == "dates":
        return run_dates(args)
    if args.what == "seg":
        report = eval_seg(args.gold, args.model, args.words)
    elif args.what == "relations":
        report = eval_relations_gold(args.gold, args.text, args.by_rule)
        if not args.errors and not args.json:
            for key in ("missed", "spurious", "attribute_errors"):
                report.pop(key)
    else:
        report = (
            eval_ner_corpus(args.corpus[0], args.corpus[1], args.by_rule, args.limit)
            if args.corpus
            else eval_ner_gold(args.gold, args.text, args.by_rule)
        )
    return _emit(report, args.json, print_report)


def _emit(report: dict, as_json: bool, printer) -> int:
    """Print a report as one JSON object or as tables."""
    if as_json:
        json.dump(report, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        printer(report)
    return 0


def run_dates(args: argparse.Namespace) -> int:
    from pipeline import eval_dates

    try:
        gold = eval_dates.load_gold(args.gold)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    reports = {"ours": eval_dates.evaluate(gold, eval_dates.ours())}
    for peer in args.peer:
        try:
            reports[peer] = eval_dates.evaluate(gold, getattr(eval_dates, peer)())
        except ImportError:
            print(f"error: the peer {peer} is not installed (pip install {peer})", file=sys.stderr)
            return 2
    if args.json:
        return _emit(reports, True, None)
    eval_dates.print_report(reports, args.errors)
    return 0


def run_pages(args: argparse.Namespace) -> int:
    from pipeline import eval_pages

    if args.packs is not None:
        from pipeline.nlp import load_nlp, use_rule_packs

        # as PIPELINE_RULE_PACKS would: the NER components and the relation stage alike
        os.environ["PIPELINE_RULE_PACKS"] = args.packs
        use_rule_packs(load_nlp(), tuple(p for p in args.packs.split(",") if p))
    try:
        pages = eval_pages.discover(args.dirs or eval_pages.default_dirs())
    except eval_pages.GoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    page_packs = args.packs is None  # --packs: the same packs for every page
    report = eval_pages.evaluate_pages(
        pages, errors=args.errors, sources=args.by_rule, page_packs=page_packs, gold_entities=args.gold_entities
    )
    if args.by_rule:
        # the entity-rules component's rules (gazetteer, patterns, bylines) can be switched off;
        # the quantities component's sources (quantity:*, date.*) and the model are not ablated here
        prefixes = sorted({s for s in report["by_rule"] if not s.startswith(("model", "quantity:", "date."))})
        report["ablation"] = eval_pages.ablation(pages, prefixes, report, page_packs)
    return _emit(report, args.json, print_pages_report)


def _row(name: str, s: dict) -> str:
    return f"{name:<14}{s['p']:>8.4f}{s['r']:>8.4f}{s['f']:>8.4f}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"


def print_pages_report(report: dict) -> None:
    head = f"{'':<14}{'P':>8}{'R':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}"
    print("entities, micro over pages\n" + head)
    for name, s in report["labels"].items():
        print(_row(name, s))
    for name, s in report["groups"].items():
        print(_row(name, s))
    print(_row("micro", report["micro"]))
    v = report["values"]
    print(
        f"\nnumbers matched: {v['matched']}  value {v['value']:.4f}  unit {v['unit']:.4f}  "
        f"qualifier {v['qualifier']:.4f}  all three {v['all']:.4f}"
    )
    rel = report["relations"]
    print("\nrelations (micro: located_in, part_of, role, metric)\n" + head)
    for name, s in rel["labels"].items():
        print(_row(name, s))
    print(_row("micro", rel["micro"]))
    for name, slot in rel["attributes"].items():
        print(f"  {name:<20} {slot['correct']}/{slot['total']} = {slot['accuracy']:.4f}")
    print(f"\n{'page':<28}{'ORG+PLACE':>10}{'PERSON':>8}{'NUMBER':>8}{'DATE':>8}{'micro':>8}{'rel':>8}")
    for page, r in report["pages"].items():
        g = r["groups"]
        cells = [g.get(k, {}).get("f", float("nan")) for k in ("ORG+PLACE", "PERSON", "NUMBER", "DATE")]
        print(
            f"{page:<28}"
            + "".join(f"{c:>10.4f}" if i == 0 else f"{c:>8.4f}" for i, c in enumerate(cells))
            + f"{r['micro']['f']:>8.4f}{r['relations']['micro']['f']:>8.4f}"
        )
    if "by_rule" in report:
        print(f"\n{'source':<34}{'hits':>6}{'prec':>8}   switched off: ΔF1 ORG+PLACE / PERSON / NUMBER / rel")
        for source, row in sorted(report["by_rule"].items(), key=lambda kv: -kv[1]["hits"]):
            d = report.get("ablation", {}).get(source)
            extra = f"   {d['ORG+PLACE']:+.4f} {d['PERSON']:+.4f} {d['NUMBER']:+.4f} {d['relations']:+.4f}" if d else ""
            print(f"{source:<34}{row['hits']:>6}{row['precision']:>8.4f}{extra}")
        print(f"\n{'relation rule':<34}{'hits':>6}{'prec':>8}")
        for source, row in report["relations"]["by_rule"].items():
            print(f"{source:<34}{row['hits']:>6}{row['precision']:>8.4f}")
    for page, errs in report.get("errors", {}).items():
        print(f"\n== {page}")
        for e in errs:
            if "relation" in e:
                extra = (
                    f" {e['attr']}: gold {e['gold']!r} predicted {e['pred']}"
                    if e["kind"] == "attribute"
                    else f" [{e.get('source', '')}]"
                )
                print(f"  rel {e['kind']:<9} {e['relation']}{extra if e['kind'] != 'missed' else ''}")
            else:
                src = f" [{e['source']}]" if e.get("source") else ""
                print(f"  ent {e['kind']:<9} {e['text']} {e['label']}{' x' + str(e['n']) if e['n'] > 1 else ''}{src}")
    for w in report["values"].get("wrong", []):
        print(f"  value {w['page']}: {w['text']}: gold {w['gold']} predicted {w['pred']}")
    if "gold_entities" in report:
        g = report["gold_entities"]
        print(
            f"\ngold entities: relations ran on {g['placed']} gold mentions placed in the clean text; "
            f"{len(g['unplaced'])} not found there" + (":" if g["unplaced"] else "")
        )
        for u in g["unplaced"]:
            print(f"  {u}")


def _apply_ablation(prefixes: list[str]) -> None:
    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    comp = nlp.get_pipe("zhnews_entity_rules")
    comp.disabled = tuple(p for p in prefixes if p not in ("model", "rules"))
    if "model" in prefixes and "ner" in nlp.pipe_names:
        nlp.disable_pipe("ner")
    if "rules" in prefixes and "zhnews_entity_rules" in nlp.pipe_names:
        nlp.disable_pipe("zhnews_entity_rules")  # the statistical model alone


def eval_seg(gold: str, model: str | None = None, words: str | None = None) -> dict:
    """SIGHAN P/R/F; with ``words`` (the bakeoff's training word list) also OOV rate, R_oov, R_iv."""
    from pipeline.nlp.segmentation.segmenter import default_model_dir, normalize
    from pipeline.training.segmenter import segment_gold

    gold_words, pred = segment_gold(model or default_model_dir(), gold)
    prf = segmentation_prf(gold_words, pred)
    report = {"p": round(prf.p, 4), "r": round(prf.r, 4), "f": round(prf.f, 4)}
    if words is not None:
        lines = Path(words).read_text(encoding="utf-8").splitlines()
        report.update(oov_recall(gold_words, pred, {normalize(w.strip()) for w in lines if w.strip()}))
    return report


def eval_ner_corpus(name: str, path: str, with_rules: bool = False, limit: int = 0, nlp=None) -> dict:
    from pipeline.nlp import load_nlp
    from pipeline.training.ner_data import read_char_bio

    nlp = nlp or load_nlp()
    if name == "msra-dev":  # the development split of MSRA train: choices are made here, not on the test
        from pipeline.training.ner_data import msra_splits

        samples = msra_splits(path)[1]
    else:
        samples = list(read_char_bio(path, name))
    if limit:
        samples = samples[:limit]
    gold: list[Mention] = []
    pred: list[Mention] = []
    vetoed: list[tuple] = []
    for i, (sample, doc) in enumerate(zip(samples, nlp.pipe((s.text for s in samples), batch_size=256))):
        if Doc.has_extension("vetoed") and doc._.vetoed:
            vetoed.extend((i, s, e, CORPUS_LABELS.get(label, label), vid) for s, e, label, vid in doc._.vetoed)
        for s, e, label in sample.spans:
            gold.append(Mention(i, s, e, CORPUS_LABELS[label] if label in CORPUS_LABELS else label))
        for ent in doc.ents:
            if ent.label_ in CORPUS_LABELS:
                source = ent._.source if Span.has_extension("source") else None
                pred.append(Mention(i, ent.start_char, ent.end_char, CORPUS_LABELS[ent.label_], source or "model"))
    report = score_mentions(gold, pred)
    report["sentences"] = len(samples)
    if with_rules:
        report["by_rule"] = by_rule(gold, pred)
        report["vetoes"] = veto_report(gold, vetoed)
    return report


def veto_report(gold: list[Mention], vetoed: list[tuple]) -> dict:
    """What each veto removed: right model spans lost (cost) and wrong ones dropped (gain)."""
    keys = {m.key for m in gold}
    out: dict[str, dict] = {}
    for doc, s, e, label, vid in vetoed:
        row = out.setdefault(vid, {"removed": 0, "were_correct": 0})
        row["removed"] += 1
        row["were_correct"] += (doc, s, e, label) in keys
    return out


def eval_ner_gold(gold_path: str, text_path: str | None = None, with_rules: bool = False) -> dict:
    from pipeline import batch
    from pipeline.io.readers import InputError, read_path

    gold_file = Path(gold_path)
    if text_path is None:
        stem = gold_file.name.split(".")[0]
        text_path = str(gold_file.parent.parent / "samples" / f"{stem}.txt")
    (doc,) = [d for d in read_path(text_path)]
    if isinstance(doc, InputError):
        raise SystemExit(f"cannot read {text_path}: {doc}")
    extracted = batch.recognize_entities(batch.clean_and_split([doc]))
    gold, gold_rows = [], {}
    for line in gold_file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            g = json.loads(line)
            gold.append(Mention(0, g["start"], g["end"], g["label"]))
            gold_rows[(g["start"], g["end"], g["label"])] = g
    pred = [Mention(0, e.raw_start, e.raw_end, e.label, e.source) for e in extracted.entities]
    report = score_mentions(gold, pred, groups={"PLACE": PLACE_LABELS, "NUMERIC": QUANTITY_LABELS})
    report["quantity_attributes"] = quantity_attribute_accuracy(gold_rows, extracted.entities)
    if with_rules:
        report["by_rule"] = by_rule(gold, pred)
    return report


def _page_for(gold_file: Path, text_path: str | None) -> str:
    if text_path is None:
        stem = gold_file.name.split(".")[0]
        text_path = str(gold_file.parent.parent / "samples" / f"{stem}.txt")
    return text_path


def canonical(entity) -> str:
    """The name a relation's end is scored by: a place's resolved name, else the text."""
    return entity.normalized or entity.text


def predicted_relation_keys(extracted, with_source: bool = False) -> list:
    from pipeline.evaluate import RelationKey

    ents = {e.ent_id: e for e in extracted.entities}
    number = {a.article_id: a.index + 1 for a in extracted.articles}
    out = []
    for r in extracted.relations:
        head = canonical(ents[r.head_ent_id])
        tail = canonical(ents[r.tail_ent_id]) if r.tail_ent_id else r.tail_text
        key = RelationKey(number[r.article_id], r.label, head, tail or "")
        out.append((key, dict(r.attrs), r.source) if with_source else (key, dict(r.attrs)))
    return out


def relations_by_rule(gold_keys: set, predicted: list) -> dict:
    """Per rule: relations found, how many are right, and the gold relations no other rule finds."""
    by_source: dict[str, set] = {}
    for key, _, source in predicted:
        by_source.setdefault(source, set()).add(key)
    out = {}
    for source, keys in sorted(by_source.items()):
        others = set().union(*(k for s, k in by_source.items() if s != source))
        right = keys & gold_keys
        out[source] = {
            "hits": len(keys),
            "correct": len(right),
            "precision": round(len(right) / len(keys), 4) if keys else 0.0,
            "recall_added": round(len(right - others) / len(gold_keys), 4) if gold_keys else 0.0,
        }
    return out


def eval_relations_gold(gold_path: str, text_path: str | None = None, with_rules: bool = False) -> dict:
    from pipeline import batch
    from pipeline.evaluate import RelationKey, score_relations
    from pipeline.io.readers import InputError, read_path

    gold_file = Path(gold_path)
    (doc,) = list(read_path(_page_for(gold_file, text_path)))
    if isinstance(doc, InputError):
        raise SystemExit(f"cannot read the page: {doc}")
    extracted = batch.extract_relations(batch.recognize_entities(batch.clean_and_split([doc])))
    gold = []
    for line in gold_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        g = json.loads(line)
        gold.append((RelationKey(g["article"], g["label"], g["head"], g["tail"]), g.get("attrs") or {}))
    predicted = predicted_relation_keys(extracted, with_source=True)
    report = score_relations(gold, [(k, a) for k, a, _ in predicted])
    if with_rules:
        report["by_rule"] = relations_by_rule({k for k, _ in gold}, predicted)
    return report


def quantity_attribute_accuracy(gold_rows: dict, entities) -> dict:
    """For quantities matched by span and label: share with exact value, unit, qualifier.

    Dates without a value in the gold (calendar dates) count only for the
    span; ``value`` compares ``value`` or, for ranges, both bounds.
    """
    counts = {"matched": 0, "value": 0, "unit": 0, "qualifier": 0, "all": 0}
    wrong = []
    for e in entities:
        g = gold_rows.get((e.raw_start, e.raw_end, e.label))
        if g is None or e.label not in QUANTITY_LABELS:
            continue
        if e.label == "DATE" and g.get("value") is None and g.get("value_low") is None:
            continue
        counts["matched"] += 1
        ok_value = (
            same_value(g.get("value"), e.value)
            and same_value(g.get("value_low"), e.value_low)
            and same_value(g.get("value_high"), e.value_high)
        )
        ok_unit = same_value(g.get("unit"), e.unit)
        ok_qual = same_value(g.get("qualifier", "="), e.qualifier or "=")
        counts["value"] += ok_value
        counts["unit"] += ok_unit
        counts["qualifier"] += ok_qual
        counts["all"] += ok_value and ok_unit and ok_qual
        if not (ok_value and ok_unit and ok_qual):
            wrong.append(
                {
                    "text": e.text,
                    "gold": {k: g.get(k) for k in ("value", "value_low", "value_high", "unit", "qualifier")},
                    "pred": {
                        "value": e.value,
                        "value_low": e.value_low,
                        "value_high": e.value_high,
                        "unit": e.unit,
                        "qualifier": e.qualifier,
                    },
                }
            )
    n = counts["matched"] or 1
    return {
        "matched": counts["matched"],
        **{k: round(counts[k] / n, 4) for k in ("value", "unit", "qualifier", "all")},
        "wrong": wrong,
    }


def print_report(report: dict) -> None:
    if "labels" not in report:
        print(f"P {report['p']:.4f}  R {report['r']:.4f}  F1 {report['f']:.4f}")
        if "oov_rate" in report:
            print(f"OOV rate {report['oov_rate']:.4f}  R_oov {report['r_oov']:.4f}  R_iv {report['r_iv']:.4f}")
        return
    print(f"{'label':<10}{'P':>8}{'R':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}")
    for label, s in report["labels"].items():
        print(f"{label:<10}{s['p']:>8.4f}{s['r']:>8.4f}{s['f']:>8.4f}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}")
    for name, s in report.get("groups", {}).items():
        print(f"{name:<10}{s['p']:>8.4f}{s['r']:>8.4f}{s['f']:>8.4f}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}")
    m = report["micro"]
    print(f"{'micro':<10}{m['p']:>8.4f}{m['r']:>8.4f}{m['f']:>8.4f}")
    qa = report.get("quantity_attributes")
    if qa:
        print(
            f"\nquantities matched: {qa['matched']}  value {qa['value']:.4f}  unit {qa['unit']:.4f}  "
            f"qualifier {qa['qualifier']:.4f}  all three {qa['all']:.4f}"
        )
        for w in qa["wrong"]:
            print(f"  {w['text']}: gold {w['gold']} predicted {w['pred']}")
    if "by_rule" in report:
        print(f"\n{'source':<34}{'hits':>6}{'prec':>8}{'+recall':>9}")
        for source, row in report["by_rule"].items():
            print(f"{source:<34}{row['hits']:>6}{row['precision']:>8.4f}{row['recall_added']:>9.4f}")
    if "metric_with_status" in report:
        m = report["metric_with_status"]
        print(f"{'metric+status':<14}P {m['p']:.4f}  R {m['r']:.4f}  F1 {m['f']:.4f}")
        for name, slot in report.get("attributes", {}).items():
            print(f"  {name:<20} {slot['correct']}/{slot['total']} = {slot['accuracy']:.4f}")
        for key, title in (("missed", "missed"), ("spurious", "spurious")):
            for k in report.get(key, []):
                print(f"{title:<9} art {k['article']}  {k['head']} -{k['label']}-> {k['tail']}")
        for w in report.get("attribute_errors", []):
            print(f"attr      {w['relation']}: {w['attr']} gold {w['gold']!r} predicted {w['pred']}")
    if report.get("vetoes"):
        print(f"\n{'veto':<34}{'removed':>8}{'of which correct':>18}")
        for vid, row in report["vetoes"].items():
            print(f"{vid:<34}{row['removed']:>8}{row['were_correct']:>18}")
