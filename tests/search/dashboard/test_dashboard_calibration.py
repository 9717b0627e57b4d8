"""The dashboard's proxy-fidelity panels, drawn from a calibration stored on a hand-made study."""

import pytest

from dashboard_study import build_study, build_view
from search.report.calibration import calibrate
from search.dashboard import render_dashboard
from search.report.patterns import ImportanceData
from search.report.results import CALIBRATION_KEY, read_study
from test_dashboard_page import figures

NO_IMPORTANCE = ImportanceData(params=(), importances=(), method="")
ACC = {2: [0.30, 0.50, 0.40, None], 5: [0.35, 0.45, 0.60, 0.20], 10: [0.40, 0.70, 0.60, 0.30]}


def calibration() -> dict:
    c = calibrate(ACC, 10, resamples=100)
    c["archs"] = [{"arch": f"net{i}", "val_acc": {str(e): ACC[e][i] for e in ACC}} for i in range(4)]
    return c


def test_one_panel_per_proxy_length_with_tau_in_its_title_and_validation_axes():
    study = build_study()
    c = calibration()
    study.set_user_attr(CALIBRATION_KEY, c)
    page = render_dashboard(read_study(study), NO_IMPORTANCE, None)
    assert "<h2>Proxy fidelity</h2>" in page
    fig = next(f for f in figures(page) if "proxy fidelity" in f["layout"]["title"]["text"])
    two, five = c["proxies"]
    assert two["kendall_tau"] == 1.0 and five["kendall_tau"] == pytest.approx(2 / 3)  # 5 of 6 pairs agree at 5
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == [f"2 epochs: Kendall tau 1.00 [{two['tau_low']:.2f}, {two['tau_high']:.2f}] (3 archs: not "
                      "meaningful)", f"5 epochs: Kendall tau 0.67 [{five['tau_low']:.2f}, {five['tau_high']:.2f}] "
                      "(4 archs: not meaningful)"]
    first, second = fig["data"]
    assert first["x"] == [0.30, 0.50, 0.40] and first["y"] == [0.40, 0.70, 0.60]  # net3 failed at 2 epochs
    assert second["x"] == [0.35, 0.45, 0.60, 0.20] and second["y"] == [0.40, 0.70, 0.60, 0.30]
    layout = fig["layout"]
    assert layout["xaxis"]["title"]["text"] == "validation accuracy after 2 epochs"
    assert layout["xaxis2"]["title"]["text"] == "validation accuracy after 5 epochs"
    assert layout["yaxis"]["title"]["text"] == "validation accuracy after 10 epochs"


def test_no_panels_without_a_calibration():
    page = render_dashboard(build_view(), NO_IMPORTANCE, None)
    assert "Proxy fidelity" not in page
