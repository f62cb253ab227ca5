"""The HTML report in headless Chromium: no console error, no request, no script run, prints."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit.reports import compare_html, to_html

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() or shutil.which("chromium"))
    or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium (/usr/bin/chromium) and the playwright package",
)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FIXED_TIME = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The study report and a labelled report whose strings try to inject script."""
    out = tmp_path_factory.mktemp("browser")
    study = biasaudit.audit(
        biasaudit.datasets.load_resume_study(), attributes=["race", "sex"], selected="callback"
    )
    rng = np.random.default_rng(11)
    n = 1200
    race = rng.choice([SCRIPT, BREAKOUT, "Hispanic", "White"], size=n, p=[0.2, 0.15, 0.2, 0.45])
    label = rng.random(n) < 0.45
    frame = pd.DataFrame(
        {
            SCRIPT + "sex": rng.choice(["Female", "Male"], size=n),
            "race": race,
            "label": label.astype(int),
            "score": rng.normal(size=n) + 1.2 * label - 0.4 * (race == SCRIPT),
        }
    )
    hostile = biasaudit.audit(
        frame,
        attributes=[SCRIPT + "sex", "race"],
        score="score",
        threshold=0.5,
        label="label",
        metadata={"title": SCRIPT + BREAKOUT, "data_source": BREAKOUT},
    )
    paths = {
        "study": out / "study.html",
        "hostile": out / "hostile.html",
        "diff": out / "diff.html",
    }
    to_html(study, paths["study"], generated_at=FIXED_TIME)
    to_html(hostile, paths["hostile"], generated_at=FIXED_TIME)
    compare_html(hostile, hostile, paths["diff"], title=SCRIPT + BREAKOUT)
    return paths


class Watched:
    """A page with its console messages, page errors, requests and dialogs recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.page = self.context.new_page()
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_timeout(200)

    def assert_quiet(self) -> None:
        assert not [m for m in self.console if m[0] in ("error", "warning")], self.console
        assert not self.errors, self.errors
        assert self.requests == [self.url], self.requests
        assert not self.dialogs, self.dialogs

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def study_page(browser, reports):
    watched = Watched(browser, reports["study"])
    yield watched
    watched.close()


def test_study_report_loads_quietly(study_page):
    study_page.assert_quiet()


def test_key_sections_are_visible(study_page):
    page = study_page.page
    for selector in (
        "h1",
        "#summary-title",
        "#ll144-title",
        "#ll144-facts",
        "#ll144-table-0",
        "#eeoc-title",
        "#charts-title",
        "svg.chart",
        "#methodology-title",
        "#provenance-title",
        "#appendix-title",
    ):
        assert page.locator(selector).first.is_visible(), selector
    assert "0.668" in page.locator("#ll144-table-0").inner_text()
    assert page.title() == "Bias audit report"


def test_screenshot_and_pdf(study_page, tmp_path):
    page = study_page.page
    shot = tmp_path / "study.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (tmp_path / "study.pdf").write_bytes(pdf)
    study_page.assert_quiet()


@pytest.mark.parametrize("name", ["hostile", "diff"])
def test_injected_strings_do_not_run(browser, reports, name):
    watched = Watched(browser, reports[name])
    try:
        watched.assert_quiet()
        page = watched.page
        assert page.locator("script").count() == 0
        assert page.locator("img").count() == 0
        assert page.locator("[onerror]").count() == 0
        heading = page.locator("h1").inner_text()
        assert heading == SCRIPT + BREAKOUT
        assert SCRIPT in page.locator("body").inner_text()
    finally:
        watched.close()


def test_the_watch_would_see_a_script_run(browser, tmp_path):
    """Control: without the report's escaping and CSP, the same payload does raise a dialog."""
    page = tmp_path / "unsafe.html"
    page.write_text(f"<!DOCTYPE html><title>x</title><h1>{SCRIPT}</h1>", encoding="utf-8")
    watched = Watched(browser, page)
    try:
        assert watched.dialogs == ["1"]
        assert watched.requests == [watched.url]
    finally:
        watched.close()
