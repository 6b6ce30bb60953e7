"""The HTML report: content checks, and a screenshot in headless Chromium."""

import asyncio
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seed_output(prefect_harness, tmp_path_factory, seed_path):
    from pipeline.flows import extract

    out = tmp_path_factory.mktemp("report") / "out"
    asyncio.run(extract([str(seed_path)], str(out)))
    return out


def test_report_has_articles_entities_map_and_tables(seed_output, tmp_path):
    from pipeline.cli import main

    html_path = tmp_path / "report.html"
    assert main(["report", str(seed_output), "--html", str(html_path)]) == 0
    page = html_path.read_text(encoding="utf-8")
    assert page.count("<div class='article'>") == 7
    assert "加快推动科技创新中心建设实现新突破" in page
    assert page.count("<mark") > 150  # displaCy entity marks
    assert "<svg" in page and "云阳县 (500235)" in page  # the map marks linked places
    assert "Metrics per place and time" in page and "Failures" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # offline: nothing to fetch


def test_report_of_a_non_output_directory_is_a_clear_error(tmp_path, capsys):
    from pipeline.cli import main

    assert main(["report", str(tmp_path), "--html", str(tmp_path / "r.html")]) == 2
    assert "not a pipeline output directory" in " ".join(capsys.readouterr().err.split())


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_report_screenshot_in_headless_chromium(seed_output, tmp_path):
    browser = _chromium()
    if browser is None:
        reason = "no Chromium: install the Debian packages chromium and fonts-wqy-zenhei (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)  # .ci/run installs it: in CI its absence is a failure, not a skip
        pytest.skip(reason)
    Image = pytest.importorskip("PIL.Image")
    from pipeline.report import write_report

    html_path = write_report(seed_output, tmp_path / "report.html")
    png = tmp_path / "shot.png"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,4800",
        "--hide-scrollbars",
        f"--screenshot={png}",
        html_path.resolve().as_uri(),
    ]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    img = Image.open(png).convert("RGB")
    assert img.size == (1200, 4800)
    colors = img.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # not a blank page

    def near(rgb, target, tol=12):
        return all(abs(a - b) <= tol for a, b in zip(rgb, target))

    gpe = sum(n for n, rgb in colors if near(rgb, (0x7A, 0xEC, 0xEC)))  # GPE highlight
    org = sum(n for n, rgb in colors if near(rgb, (0xFE, 0xCA, 0x74)))  # ORG highlight
    marker = sum(n for n, rgb in colors if rgb[0] > 200 and rgb[1] < 170 and rgb[2] < 150)  # map circles
    assert gpe > 2000 and org > 500 and marker > 200, (gpe, org, marker)
