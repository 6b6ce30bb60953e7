"""``make package``'s wheels install and run outside the checkout.

The wheels are built as ``make package`` builds them (the project's with pip, the pipeline's
with ``spacy package``) and installed without their dependencies into a fresh virtualenv in
a temporary folder; the dependencies (spaCy, thinc, numpy ...) come from this test's own
environment through a ``.pth`` line, which adds that ``site-packages`` to the path but not the
checkout (its editable install's hooks are not read from there). So what the fresh
environment imports of ours is what the wheels hold, and the test takes a minute, not the
many of a download of spaCy. The interpreter runs from the temporary folder.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
import venv

import pytest

from pipeline.nlp import load_nlp, pipeline_dir

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`"),
]

PACKS = ("oil_gas", "chongqing")

SCRIPT = textwrap.dedent(
    """
    import json, multiprocessing, sys
    from pathlib import Path
    import spacy
    import pipeline
    from pipeline import settings
    from pipeline.nlp import load_nlp

    here = Path.cwd()
    assert "site-packages" in pipeline.__file__, pipeline.__file__
    assert settings.rules_dir() == settings.PACKAGED_RULES, settings.rules_dir()
    nlp = spacy.load("zh_news")
    rules = nlp.get_pipe("zhnews_entity_rules")
    assert rules.carries_rules and "site-packages" in str(rules.rules_root), rules.rules_root
    texts = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))

    def ents(docs):
        return [[(e.start_char, e.end_char, e.label_, e._.source, e._.kb_id) for e in d.ents] for d in docs]

    if __name__ == "__main__":
        multiprocessing.set_start_method("spawn")
        one = ents(nlp.pipe(texts))
        two = ents(nlp.pipe(texts, n_process=2, batch_size=8))
        assert load_nlp().meta["name"] == "news"  # the project's loader finds the installed pipeline
        print(json.dumps({"one": one, "two": two}, ensure_ascii=False))
    """
)


def _sentences(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        out += [s + "。" for s in line.split("。") if s.strip()]
    return out


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    from pipeline.packaging import build

    return build(tmp_path_factory.mktemp("dist"), packs=PACKS)


def test_installed_wheels_give_the_checkouts_entities_and_spawn(wheels, tmp_path, seed_text, monkeypatch):
    assert sorted(w.name.split("-")[0] for w in wheels) == ["zh_news", "zhnews_pipeline"]
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (tmp_path / "venv" / purelib.split(str(env_dir) + "/", 1)[1] / "deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            *map(str, wheels),
        ],
        check=True,
    )

    texts = _sentences(seed_text)[:60]
    (tmp_path / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "check.py").write_text(SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_") and k != "PYTHONPATH"}
    env["PIPELINE_CACHE_DIR"] = str(tmp_path / "cache")
    run = subprocess.run(
        [str(python), "check.py", "texts.json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])

    monkeypatch.setenv("PIPELINE_RULE_PACKS", ",".join(PACKS))
    nlp = load_nlp()
    expected = [[[e.start_char, e.end_char, e.label_, e._.source, e._.kb_id] for e in d.ents] for d in nlp.pipe(texts)]
    assert sum(map(len, expected)) > 100
    assert got["one"] == expected
    assert got["two"] == expected
