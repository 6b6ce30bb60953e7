"""The hand-made gold files stay consistent with the page they annotate."""

import json

from tests.conftest import GOLD

LABELS = {"ORG", "GPE", "LOC", "FAC", "PERSON", "QUANTITY", "MONEY", "PERCENT", "DATE"}
QUALIFIERS = {"=", "~", ">", ">=", "<", "<="}


def test_entity_gold_matches_the_page(seed_text):
    rows = [
        json.loads(row)
        for row in (GOLD / "000_f0d3a313825c072b.entities.jsonl").read_text(encoding="utf-8").splitlines()
        if row.strip()
    ]
    assert len(rows) == 199
    prev_end = 0
    for r in rows:
        assert seed_text[r["start"] : r["end"]] == r["text"], r
        assert r["start"] >= prev_end, ("overlap", r)
        prev_end = r["end"]
        assert r["label"] in LABELS
        if r["label"] in {"QUANTITY", "MONEY", "PERCENT"}:
            assert r.get("value") is not None or r.get("value_low") is not None, r
            assert r["unit"] and r["qualifier"] in QUALIFIERS, r
        if r.get("kb_id"):
            assert r["label"] == "GPE" and len(r["kb_id"]) == 6 and r["normalized"], r
