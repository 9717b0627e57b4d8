"""nas scale: the table, formula and derive modes, the files it writes, and its bad-input lines."""

import json

import pytest

from scaling import EFFICIENTNET, Coefficients, scale_family
from search.cli import main
from search.commands.scale import chart_data
from space import Genome, Stage, Stem, load_genome, preset

B1_B7_PARAMS = [7794184, 9109994, 12233232, 19341616, 30389784, 43040704, 66347960]  # torchvision's, to the unit
KEYS = {"name", "phi", "depth_mult", "width_mult", "resolution", "params", "macs", "macs_ratio", "nominal_ratio"}


def _json(capsys, argv):
    assert main(argv) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_table_json_reproduces_torchvision(capsys):
    rows, err = _json(capsys, ["scale", "--base", "efficientnet_b0", "--to", "B7", "--table", "efficientnet",
                               "--json"])
    assert [r["name"] for r in rows] == [f"B{i}" for i in range(8)]
    assert all(KEYS <= set(r) for r in rows)
    assert [r["params"] for r in rows[1:]] == B1_B7_PARAMS
    assert [r["resolution"] for r in rows] == [224, 240, 260, 300, 380, 456, 528, 600]
    assert [(r["width_mult"], r["depth_mult"], r["dropout"]) for r in rows] == \
        [(t.width, t.depth, t.dropout) for t in EFFICIENTNET]
    assert rows[7]["macs"] == 37_745_884_192 and rows[7]["nominal_ratio"] == 128
    assert Genome.from_dict(rows[3]["genome"]).stages[0].depth == 2
    assert "published efficientnet table" in err  # the table and notes go to stderr, stdout stays JSON


def test_formula_mode_default_coefficients_and_text(capsys):
    assert main(["scale", "--base", "resnet18", "--to", "B3"]) == 0
    out = capsys.readouterr().out
    assert "alpha=1.2 beta=1.1 gamma=1.15 (the paper's, found on its B0): MACs x1.920" in out
    fam = scale_family(preset("resnet18"), 3, coefficients=Coefficients(1.2, 1.1, 1.15))
    lines = [line.split() for line in out.splitlines() if line.startswith("B")]
    assert [(row[0], row[4]) for row in lines] == [(v.name, str(v.resolution)) for v in fam]
    assert [row[7] for row in lines] == [f"{v.macs_ratio:.2f}" for v in fam] == ["1.00", "2.42", "4.08", "8.69"]
    assert "measured MACs growth per step of phi: 2.069x (nominal 2x)" in out


def test_coefficients_out_dir_and_chart(tmp_path, capsys):
    out = tmp_path / "fam"
    rows, err = _json(capsys, ["scale", "--base", "resnet20", "--to", "b2", "--coefficients", "1.3,1.1,1.1",
                               "--out", str(out), "--json"])
    assert sorted(p.name for p in out.iterdir()) == ["B0.json", "B1.json", "B2.json", "scale.html", "scaling.json"]
    assert json.loads((out / "scaling.json").read_text()) == rows
    for r in rows:
        assert load_genome(out / f"{r['name']}.json") == Genome.from_dict(r["genome"])
    assert load_genome(out / "B0.json") == preset("resnet20")
    assert [r["resolution"] for r in rows] == [32, 32, 40]
    assert [[st["depth"] for st in r["genome"]["stages"]] for r in rows] == [[3, 3, 3], [4, 4, 4], [6, 6, 6]]
    html = (out / "scale.html").read_text()
    assert "plotly" in html and len(html) > 1_000_000  # plotly.js is inlined: the chart works offline
    assert "training on upsampled images" in err
    assert f"wrote B0.json ... B2.json, scaling.json and scale.html to {out}" in err


def test_chart_data():
    fam = scale_family(preset("efficientnet_b0"), 3, table=EFFICIENTNET)
    d = chart_data(fam)
    assert d.names == ("B0", "B1", "B2", "B3") and d.phi == (0, 1, 2, 3)
    assert d.params == (5288548, 7794184, 9109994, 12233232)
    assert d.macs == tuple(v.macs for v in fam)
    assert d.nominal_macs == (385814752, 2 * 385814752, 4 * 385814752, 8 * 385814752)


def test_study_base_resolves_best_json(tmp_path, capsys):
    import optuna

    folder = tmp_path / "mine"
    folder.mkdir()
    study = optuna.create_study(study_name="mine", storage=f"sqlite:///{folder / 'study.db'}", direction="maximize")
    study.add_trial(optuna.trial.create_trial(value=0.9, user_attrs={"genome": preset("resnet20").to_dict()}))
    rows, _ = _json(capsys, ["scale", "--base", "study:mine", "--studies-dir", str(tmp_path), "--to", "B1",
                             "--json"])
    assert rows[0]["params"] == 269_722 and rows[1]["params"] == 437_994
    # the study's dashboard reads the family from its folder
    from search.report.plots import scaling_data
    from search.report.results import read_scaling

    d = scaling_data(read_scaling(folder / "scaling.json"))
    assert d.names == ("B0", "B1") and d.params == (269_722, 437_994) and d.resolution == (32, 40)


def test_derive_end_to_end_on_synthetic_data(tmp_path, capsys):
    """One grid point (2, 1, 1) at tolerance 0, one epoch: trains, chooses it, scales with it."""
    base = tmp_path / "tiny.json"
    base.write_text(Genome((Stage("basic", 1, 8), Stage("mbconv", 1, 16, 2, expansion=2)), Stem("cifar", 8),
                           resolution=16).to_json())
    argv = ["scale", "--base", str(base), "--to", "B2", "--derive", "--data", "synthetic:120:16:3", "--epochs", "1",
            "--tolerance", "0", "--grid-step", "0.5", "--device", "cpu", "--studies-dir", str(tmp_path), "--json"]
    rows, err = _json(capsys, argv)
    assert "note: the base is set to the data's 3 classes and 3 channels" in err
    assert "derive: 1 candidates (alpha*beta^2*gamma^2 in 2 +- 0%, grid step 0.5), study 'scale-tiny'" in err
    assert "<- chosen" in err and "alpha=2 beta=1 gamma=1 (derived on synthetic:120:16:3)" in err
    assert [r["depth_mult"] for r in rows] == [1, 2, 4]
    assert [[st["depth"] for st in r["genome"]["stages"]] for r in rows] == [[1, 1], [2, 2], [4, 4]]
    assert rows[0]["genome"]["num_classes"] == 3
    assert (tmp_path / "scale-tiny" / "study.db").is_file()
    rows_again, err = _json(capsys, argv)  # resumed: nothing trains twice
    assert rows_again == rows and "derive: trained 0, reused 1 finished trials" in err


BAD = [
    (["--to", "B10"], "variant must be one of B0 ... B9, got 'B10'"),
    (["--coefficients", "1.2,1.1"], "coefficients must be three numbers alpha,beta,gamma"),
    (["--coefficients", "1.2,0.9,1.15"], "coefficient beta must be a number >= 1"),
    (["--coefficients", "1.2,a,1.15"], "coefficient beta is not a number: 'a'"),
    (["--table", "efficientnet", "--to", "B8"], "the table stops at B7"),
    (["--data", "synthetic"], "--data is only used with --derive"),
    (["--epochs", "3"], "--epochs is only used with --derive"),
    (["--derive"], "--derive trains every candidate: give the training data with --data"),
    (["--derive", "--data", "synthetic", "--epochs", "0"], "--epochs must be >= 1, got 0"),
    (["--derive", "--data", "synthetic", "--target", "1"], "the target MACs ratio per step must be > 1"),
]


@pytest.mark.parametrize("extra, message", BAD)
def test_bad_input_is_one_line_and_exit_2(extra, message, capsys, tmp_path):
    assert main(["scale", "--base", "efficientnet_b0", "--studies-dir", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert err == f"nas: error: {err.removeprefix('nas: error: ').strip()}\n"
    assert message in err


def test_bad_base(capsys, tmp_path):
    assert main(["scale", "--base", "study:nope", "--studies-dir", str(tmp_path)]) == 2
    assert f"--base study:nope: no study 'nope' in {tmp_path}/" in capsys.readouterr().err
    assert main(["scale", "--base", "resnet5"]) == 2
    assert "unknown model 'resnet5'" in capsys.readouterr().err


def test_modes_are_mutually_exclusive(capsys):
    assert main(["scale", "--base", "resnet18", "--table", "efficientnet", "--coefficients", "1.2,1.1,1.15"]) == 2
    err = capsys.readouterr().err.strip()
    assert "not allowed with argument" in err and err.count("\n") == 0
