"""The dashboard page in a real headless Chromium: offline, no console errors, every plot drawn with its traces.

Needs the ``playwright`` Python package (the ``test`` extra) and a Chromium executable: ``chromium`` on
PATH (Debian: ``apt-get install chromium``) or the path in NAS_CHROMIUM; Playwright's own browser
download is not used. Skipped, with the reason, when either is missing or the browser cannot start.
The screenshot goes to the test's tmp_path, and also to $NAS_TEST_ARTIFACTS/dashboard.png when that
variable names a folder.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from search.dashboard import write_dashboard, write_overlay
from dashboard_study import TRIALS, build_study, genome, make_trial

# playwright adds --headless and a fresh --user-data-dir itself; without the background-networking
# flags Chromium's own network attempts fail noisily where there is no network
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    env = os.environ.get("NAS_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright: pip install -e '.[test]'")
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium found: apt-get install chromium (or playwright install chromium), or set "
                    "NAS_CHROMIUM to its path")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, timeout=60_000)
        except Exception as e:  # any launch failure means "no usable browser here"
            pytest.skip(f"cannot start {exe}: {str(e).strip().splitlines()[0] if str(e).strip() else e!r}")
        yield b
        b.close()


class Page:
    """A page that records console errors, page errors and every non-file request (which it blocks)."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-rendered]", state="attached", timeout=30_000)

    def _route(self, route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def plots(self) -> list[dict]:
        """Per plot div: traces in its figure JSON, in the live plot, drawn in the SVG, and SVG layers."""
        return self.page.evaluate("""Array.from(document.querySelectorAll('.nas-plot')).map(d => ({
            id: d.id,
            title: (d.layout && d.layout.title && d.layout.title.text) || '',
            json: JSON.parse(document.getElementById(d.dataset.fig).textContent).data.length,
            live: (d.data || []).length,
            drawn: d.querySelectorAll('.main-svg .trace').length,
            svgs: d.querySelectorAll('svg.main-svg').length,
            height: d.getBoundingClientRect().height}))""")

    def click_point(self, plot_id: str, x: float, y: float, number: int) -> None:
        """Hover the mouse over the data point (x, y) of trial ``number`` until plotly reports it, then click."""
        at = self.page.evaluate(f"""(() => {{
            const gd = document.getElementById('{plot_id}'), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            gd.scrollIntoView({{block: 'center'}});
            const r = gd.getBoundingClientRect();
            return [r.left + xa._offset + xa.c2p({x}), r.top + ya._offset + ya.c2p({y})];
        }})()""")
        self.page.mouse.move(at[0] - 5, at[1] - 5)
        self.page.mouse.move(*at)  # plotly finds hover points asynchronously: wait for it before clicking
        self.page.wait_for_function(f"document.getElementById('selected').textContent.startsWith('trial {number} ')",
                                    timeout=10_000)
        self.page.mouse.click(*at)


def _study_with_extras(tmp_path):
    """The hand-made study, plus a scaling run, latency figures and a 10th complete trial (importances need 10)
    so that every kind of plot appears."""
    study = build_study(latency=True)
    study.add_trial(make_trial("complete", 0.65, 150, 12, genome(("basic", "basic")), "ok",
                               latency_ms={"b1": 1.5, "b64": 15.0}))
    studies = tmp_path / "studies"
    (studies / "hand").mkdir(parents=True)
    (studies / "hand" / "scaling.json").write_text(json.dumps(
        [{"name": f"B{p}", "phi": p, "params": 1000 * 2 ** p, "macs": 10_000 * 2 ** p, "resolution": 32 + 4 * p,
          **({"val_acc": 0.9 + 0.01 * p} if p < 2 else {})} for p in range(4)]))
    return study, studies


EDF = "error distribution (EDF): share of complete trials with a validation error <= x"  # the EDF figure's title


def test_dashboard_renders_offline_with_every_plot(browser, tmp_path):
    study, studies = _study_with_extras(tmp_path)
    out = write_dashboard(study, tmp_path / "dashboard.html", studies_dir=studies)
    page = Page(browser, out)
    plots = page.plots()
    titles = [p["title"] for p in plots]
    assert titles == ["accuracy vs MACs", "accuracy vs params", "accuracy vs latency", "history", EDF,
                      "design patterns: accuracy by design choice (complete trials)",
                      next(t for t in titles if t.startswith("parameter importances")),
                      "compound scaling of the best network"]
    assert page.page.evaluate("document.body.dataset.rendered") == str(len(plots))
    for p in plots:
        assert p["json"] >= 1 and p["live"] == p["json"] and p["drawn"] == p["json"], p
        assert p["svgs"] >= 1 and p["height"] > 200, p
    # the front plot: front, dominated and over-budget points, the budget line, and guessing (1 of the 10 classes)
    assert page.page.evaluate("document.getElementById('plot-1').data.map(t => t.name)") == [
        "dominated", "over budget", "Pareto front", "budget 1.00K MACs", "chance 0.100"]
    assert page.errors == [] and page.requests == []
    assert page.page.locator("table.sortable tbody tr").count() == len(TRIALS) + 1
    assert "stage0" in page.page.inner_text("#best-describe")
    shot = tmp_path / "dashboard.png"
    page.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    if os.environ.get("NAS_TEST_ARTIFACTS"):
        folder = Path(os.environ["NAS_TEST_ARTIFACTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, folder / "dashboard.png")
    page.page.close()


def test_clicking_a_point_finds_its_trial_in_the_table(browser, tmp_path):
    study, studies = _study_with_extras(tmp_path)
    page = Page(browser, write_dashboard(study, tmp_path / "dashboard.html", studies_dir=studies, top=5))
    acc, macs = TRIALS[11][2], TRIALS[11][3]
    page.click_point("plot-1", macs, acc, 11)
    page.page.wait_for_selector("#row-11.selected", timeout=10_000)
    assert page.page.inner_text("#selected").startswith("trial 11 | complete | accuracy 0.9200")
    # trial 7 is not among the top 5 rows: the panel says so
    page.click_point("plot-1", TRIALS[7][3], TRIALS[7][2], 7)
    page.page.wait_for_function("document.getElementById('selected').textContent.includes('not among the table')",
                                timeout=10_000)
    assert page.page.inner_text("#selected").startswith("trial 7 | complete | accuracy 0.6000")
    assert page.page.locator("tr.selected").count() == 0
    assert page.errors == []
    page.page.close()


def test_table_sorts_by_a_clicked_header(browser, tmp_path):
    page = Page(browser, write_dashboard(build_study(), tmp_path / "dashboard.html", studies_dir=tmp_path))
    numbers = lambda: [int(x) for x in page.page.eval_on_selector_all(  # noqa: E731
        "table.sortable tbody tr", "rows => rows.map(r => r.dataset.key)")]
    assert numbers() == [11, 4, 5, 1, 3, 2, 0, 7, 6, 8, 10, 9]  # ranked
    page.page.click("table.sortable th:text-is('MACs')")
    assert numbers() == [0, 7, 1, 3, 2, 8, 10, 4, 5, 11, 6, 9]  # by MACs, ties in their previous order
    page.page.click("table.sortable th:text-is('MACs')")
    assert numbers()[:3] == [9, 6, 11]
    page.page.click("table.sortable th:text-is('accuracy')")
    assert numbers()[:3] == [8, 7, 0] and set(numbers()[-2:]) == {9, 10}  # no accuracy: last either way
    page.page.click("table.sortable th:text-is('accuracy')")
    assert numbers()[:3] == [6, 11, 4] and set(numbers()[-2:]) == {9, 10}
    assert page.errors == []
    page.page.close()


def test_overlay_renders(browser, tmp_path):
    other = build_study("other", budget_macs=None, trials={n: TRIALS[n] for n in (6, 7, 8)})
    page = Page(browser, write_overlay([build_study(), other], tmp_path / "overlay.html"))
    plots = page.plots()
    assert [p["title"] for p in plots] == ["accuracy vs MACs", "accuracy vs params", EDF]
    for p in plots:
        assert p["live"] == p["json"] == p["drawn"], p
    assert [p["json"] >= 4 for p in plots[:2]] == [True, True] and plots[2]["json"] == 2  # the EDF: one per study
    names = page.page.evaluate("document.getElementById('plot-1').data.map(t => t.name)")
    assert names == ["hand: dominated", "hand: over budget", "hand: Pareto front", "hand: budget 1.00K",
                     "other: Pareto front"]
    assert page.page.locator("#row-other\\#1").count() == 1  # trial 7 of TRIALS, on the other study's front
    assert page.errors == [] and page.requests == []
    page.page.close()
