"""``nas dashboard``: files written where promised, offline HTML, one-line errors (the server: test_dashboard_server)."""

import optuna
import pytest

from dashboard_study import TRIALS, build_study, make_trial
from search.cli import main

optuna.logging.set_verbosity(optuna.logging.WARNING)


def stored_study(studies, name, numbers=tuple(TRIALS), storage=None):
    """A study in SQLite where ``nas run`` puts it (or in ``storage``), holding the given TRIALS."""
    (studies / name).mkdir(parents=True, exist_ok=True)
    url = storage or f"sqlite:///{studies / name / 'study.db'}"
    build_study(name, trials={n: TRIALS[n] for n in numbers}, storage=url)
    return url


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    """Two stored studies, shared by the tests (which only read them and write pages beside them)."""
    folder = tmp_path_factory.mktemp("cli") / "studies"
    stored_study(folder, "hand")
    stored_study(folder, "other", (6, 7, 8))
    return folder


def test_writes_one_offline_file_by_default(studies, capsys):
    assert main(["dashboard", "hand", "--studies-dir", str(studies)]) == 0
    out = studies / "hand" / "dashboard.html"
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    text = out.read_text()
    assert text.count("* plotly.js v") == 1 and "<script src" not in text  # the library once, inlined
    assert text.count('<tr id="row-') == len(TRIALS) and 'id="row-11"' in text
    assert "optuna-dashboard sqlite:///" in text and "study.db" in text
    assert [p.name for p in (studies / "hand").iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_top_and_out(studies, tmp_path):
    out = tmp_path / "d.html"
    assert main(["dashboard", "hand", "--studies-dir", str(studies), "--out", str(out), "--top", "3"]) == 0
    assert out.read_text().count('<tr id="row-') == 3


def test_overlay_of_two_studies(studies):
    assert main(["dashboard", "hand", "other", "--studies-dir", str(studies)]) == 0
    text = (studies / "overlay-hand-other.html").read_text()
    assert 'id="row-hand#11"' in text and 'id="row-other#1"' in text


def test_any_storage_url(tmp_path):
    url = stored_study(tmp_path / "elsewhere", "x", (0, 1), storage=f"sqlite:///{tmp_path / 'all.db'}")
    out = tmp_path / "x.html"
    assert main(["dashboard", "x", "--storage", url, "--out", str(out)]) == 0
    assert 'id="row-1"' in out.read_text()


@pytest.mark.parametrize("argv, message", [
    (["nope"], "no study 'nope' in {studies}/ (studies there: hand, other; give --storage URL"),
    (["nope", "--storage", "sqlite:///{tmp}/missing.db"], "--storage sqlite:///{tmp}/missing.db: no such file"),
    (["nope", "--storage", "sqlite:///{studies}/hand/study.db"],
     "no study 'nope' in sqlite:///{studies}/hand/study.db (studies there: hand)"),
    (["hand", "--port", "8123"], "--port is only used with --serve"),
    (["hand", "--host", "box.lan"], "--host is only used with --serve"),
    (["hand", "--serve", "--port", "70000"],
     "nas dashboard: argument --port: must be a port from 1 to 65535, got 70000 (see nas dashboard --help)"),
    (["hand", "--serve", "--port", "0"], "nas dashboard: argument --port: must be a port from 1 to 65535, got 0"),
    (["hand", "--serve", "--port", "http"], "nas dashboard: argument --port: must be a port number, got 'http'"),
    (["hand", "--no-such-flag"], "nas: unrecognized arguments: --no-such-flag (see nas --help)"),
    (["hand", "hand"], "a study name is given twice"),
    (["hand", "--out", "{tmp}/no/such/d.html"], "--out {tmp}/no/such/d.html: the folder {tmp}/no/such does not exist"),
    (["hand", "--storage", "nosuchdb://x"], "cannot open storage nosuchdb://x"),
])
def test_user_errors_are_one_line(studies, tmp_path, capsys, argv, message):
    fill = lambda s: s.format(studies=studies, tmp=tmp_path)  # noqa: E731
    assert main(["dashboard", *map(fill, argv), "--studies-dir", str(studies)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nas: error: {fill(message)}") and err.count("\n") == 1, err
    assert not (tmp_path / "missing.db").exists()  # a mistyped SQLite URL is not created


def test_studies_dir_without_studies(tmp_path, capsys):
    assert main(["dashboard", "x", "--studies-dir", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_page_of_a_study_that_has_only_begun(tmp_path):
    from search.dashboard import write_dashboard
    from search.report.plots import history_data
    from search.report.results import read_study

    study = optuna.create_study(study_name="young", directions=["maximize", "minimize"])
    empty = write_dashboard(study, tmp_path / "empty.html", studies_dir=tmp_path).read_text()
    assert "no complete trial yet" in empty and "no trials yet" in empty and 'class="nas-plot"' not in empty
    state, status, acc, macs, params, g = TRIALS[10]
    study.add_trial(make_trial(state, acc, macs, params, g, status))
    study.ask()  # a trial still running
    h = history_data(read_study(study))
    assert h.state == ("failed", "running") and h.best_so_far == (None, None)
    text = write_dashboard(study, tmp_path / "young.html", studies_dir=tmp_path).read_text()
    assert text.count('class="nas-plot"') == 1  # the history only
    assert "no complete trial within budget yet" in text and 'id="row-1"' in text


def test_unwritable_output_folder_is_one_line(studies, tmp_path, capsys):
    """The default page path lies under STUDIES_DIR/NAME/; here STUDIES_DIR is a file, so no folder can be made."""
    blocker = tmp_path / "studies"
    blocker.write_text("not a folder")
    url = f"sqlite:///{studies / 'hand' / 'study.db'}"
    assert main(["dashboard", "hand", "--storage", url, "--studies-dir", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert err == (f"nas: error: cannot write {blocker}/hand/dashboard.html: Not a directory (in {blocker}/hand); "
                   f"give --out FILE in a folder you can write\n")
