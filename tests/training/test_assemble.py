"""Assembling the shipped pipeline: what goes into models/zh_news."""

import json

from pipeline.training.assemble import _drop_feature_strings


def test_the_strings_the_tokenizer_makes_at_run_time_are_not_shipped(tmp_path):
    path = tmp_path / "strings.json"
    path.write_text(json.dumps(["PERSON", "北京", "市</s>", "Lex=nrB", "重庆市", "a"], ensure_ascii=False), encoding="utf-8")
    assert _drop_feature_strings(path) == 2
    assert json.loads(path.read_text(encoding="utf-8")) == ["PERSON", "Lex=nrB", "重庆市", "a"]
