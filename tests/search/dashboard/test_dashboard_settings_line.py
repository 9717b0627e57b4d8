"""The dashboard of a study made by the real ``nas run`` shows the study's settings (data, resolution, epochs).

The page once read per-key study attributes that no run writes any more: the settings line was empty for every
real study, and the hand-made fixtures (stored in the old format) hid it.
"""

import re

from search.cli import main
from tiny_search import DATA, run_args

SETTINGS_LINE = re.compile(r'<p class="summary">(data [^<]*)</p>')


def test_the_page_of_a_real_run_shows_its_data_resolution_and_epochs(tmp_path, capsys):
    assert main(run_args(tmp_path, "real", "--trials", "2", "--epochs", "2", "--sampler", "random")) == 0
    studies = tmp_path / "studies"
    by_run = (studies / "real" / "dashboard.html").read_text()
    out = tmp_path / "again.html"
    assert main(["dashboard", "real", "--studies-dir", str(studies), "--out", str(out)]) == 0
    capsys.readouterr()
    for page in (by_run, out.read_text()):
        # synthetic:240:16:4 is 240 images of 16 x 16 in 4 classes
        assert SETTINGS_LINE.findall(page) == [f"data {DATA}, resolution 16, epochs 2"]
