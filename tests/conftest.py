from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles: "default" for make test, "fuzz" (make fuzz) for the long
# run of at least 10,000 generated examples per stage. Tests that fix their own
# max_examples keep it.
settings.register_profile("default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Most tests read the sample page, a 重庆日报 page on gas exploration: they run with
# the rule packs such a paper enables. Tests of the default rules on other pages
# (tests/test_quality_targets.py) switch the packs off themselves.
SAMPLE_PACKS = ("oil_gas", "chongqing")
os.environ.setdefault("PIPELINE_RULE_PACKS", ",".join(SAMPLE_PACKS))

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "samples" / "000_f0d3a313825c072b.txt"
GOLD = ROOT / "data" / "gold"
SHARED = ROOT.parent / "shared"
#: documents at the edges of what a pipeline meets (empty, blank, one character, spaces, a long
#: repetition, a dateline with a credit): the fast inference paths must agree with the stock ones on each
EDGE_TEXTS = [
    "",
    " ",
    "\n",
    "北",
    "北京",
    "重庆市人民政府",
    "在 北京 市",
    "新华社北京1月1日电\n\n记者 王小明",
    "中国" * 400,
    "  前后有空格  ",
    "\u3000北京\u3000",
]


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """What the pipeline unpacks from bytes (pickled tokenizers, rules) goes to a folder of
    the test session, not to the user's cache; processes the tests start inherit it."""
    previous = os.environ.get("PIPELINE_CACHE_DIR")
    os.environ["PIPELINE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop("PIPELINE_CACHE_DIR", None)
    else:
        os.environ["PIPELINE_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_doc():
    from pipeline.io.readers import read_path

    (doc,) = list(read_path(SEED))
    return doc


@pytest.fixture(scope="session")
def seed_articles(seed_doc):
    from pipeline.cleaning import clean_document

    return clean_document(seed_doc)


@pytest.fixture(scope="session")
def pd_test_texts() -> list[str]:
    """The sentences of People's Daily NER example.test (219 K characters), the benchmarks'
    corpus; skips without ../shared."""
    from benchmarks.systems import pd_test_sentences

    texts = pd_test_sentences()
    if texts is None:
        pytest.skip("../shared/corpora/peoples-daily-ner is absent")
    return texts


def need_shared(path: Path, what: str = "") -> Path:
    """``path`` under ../shared, or skip with the reason: a user's fresh clone has
    no ../shared. In CI (``CI=true``) ../shared is always laid beside the
    checkout, so its absence there is a failure, not a skip."""
    if not path.exists():
        reason = f"{path} is absent{' (' + what + ')' if what else ''}: a fresh user clone has no ../shared"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    """One ephemeral Prefect server for all end-to-end tests (start-up takes 15-20 s)."""
    from pipeline import settings

    settings.prefect_defaults()
    import prefect.settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield prefect.settings.PREFECT_API_URL.value()  # for subprocesses and workers


def write_numbered_pages(directory: Path, count: int, text_of) -> Path:
    """``count`` small page files 000.txt… in ``directory`` (created), text from ``text_of(i)``."""
    directory.mkdir(parents=True, exist_ok=True)
    width = len(str(count))
    for i in range(count):
        (directory / f"{i:0{width}d}.txt").write_text(text_of(i), encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def fresh_python():
    """Run a snippet in a fresh interpreter; fail with its stderr unless it exits 0."""
    import subprocess
    import sys

    def run(code: str) -> subprocess.CompletedProcess:
        out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        return out

    return run


def output_snapshot(out: Path, tables=None, drop: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Each table's committed rows (``pipeline.io.parquet.read_table``) as sorted JSON lines,
    without the columns in ``drop`` (timestamps): what "row-identical outputs" compares."""
    import json

    from pipeline import schema
    from pipeline.io.parquet import read_table

    snap = {}
    for name in tables or schema.TABLES:
        table = read_table(out, name)
        table = table.select([c for c in table.column_names if c not in drop])
        snap[name] = sorted(json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in table.to_pylist())
    return snap
