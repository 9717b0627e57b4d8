"""nas presets / describe / build, and their bad-input lines."""

import json

import pytest
import torch

from search.cli import main
from space import build, preset


def test_describe_json_has_the_promised_keys(capsys):
    assert main(["describe", "resnet50", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["params"] == 25_557_032 and info["macs"] == 4_089_184_256
    assert (info["receptive_field"], info["output_stride"], info["resolution"]) == (427, 32, 224)
    assert sum(s["macs"] for s in info["stages"]) + sum(r["macs"] for r in info["rows"][::5]) == info["macs"]
    for stage in info["stages"]:
        assert {"params", "macs", "receptive_field", "output_stride", "resolution"} <= set(stage)


@pytest.mark.parametrize("name, params, macs, rf, concat", [
    ("densenet121", 7_978_856, 2_834_161_664, 2071,
     ["64+6x32=256->128", "128+12x32=512->256", "256+24x32=1024->512", "512+16x32=1024"]),
    ("googlenet", 6_624_904, 1_498_376_192, 379,
     ["64+128+32+32", "128+192+96+64", "192+208+48+64", "160+224+64+64", "128+256+64+64", "112+288+64+64",
      "256+320+128+128", "256+320+128+128", "384+384+128+128"]),
])
def test_describe_concatenating_nets(capsys, name, params, macs, rf, concat):
    # torchvision's counts (googlenet without its auxiliary heads); the concatenation each stage makes
    assert main(["describe", name, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["params"], info["macs"], info["receptive_field"], info["output_stride"]) == (params, macs, rf, 32)
    assert [s["concat"] for s in info["stages"]] == concat
    assert [s["channels"] for s in info["stages"]][-1] == 1024
    assert sum(p.numel() for p in build(preset(name)).parameters()) == params


def test_describe_at_another_resolution_and_from_a_file(tmp_path, capsys):
    path = tmp_path / "g.json"
    path.write_text(preset("resnet20").to_json())
    assert main(["describe", str(path), "--resolution", "64", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["resolution"], info["params"], info["macs"]) == (64, 269_722, 4 * 40_551_040 - 3 * 640)


def test_describe_text_table(capsys):
    assert main(["describe", "resnet20"]) == 0
    out = capsys.readouterr().out
    assert "stage2  res_d3_w64_s2_k3_zp" in out and "269,722" in out and "FLOPs" in out


def test_presets_lists_all(capsys):
    assert main(["presets", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert len(rows) == 14 and rows["efficientnet_b0"]["macs"] == 385_814_752
    assert (rows["regnet_y_400mf"]["params"], rows["regnet_y_400mf"]["macs"]) == (4_344_144, 401_842_848)


def test_build_writes_torchscript_that_loads_without_the_package(tmp_path):
    out = tmp_path / "m.pt"
    assert main(["build", "resnet20", "--out", str(out), "--format", "torchscript"]) == 0
    loaded = torch.jit.load(str(out))
    model = build(preset("resnet20"))
    model.load_state_dict({k[len("model."):]: v for k, v in loaded.state_dict().items() if k.startswith("model.")})
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(loaded.eval()(x), model.eval()(x), atol=1e-5)


BAD = [
    (["describe", "resnet5"], "unknown model 'resnet5'"),
    (["describe", "{bad}.json"], "cannot read genome file"),
    (["build", "resnet20", "--out", "/nonexistent-dir/m.pt"], "does not exist"),
]


@pytest.mark.parametrize("argv, message", BAD)
def test_bad_input_is_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err and err.startswith("nas: error:")


@pytest.mark.parametrize("change, field", [({"kernel": 4}, "stage.kernel"), ({"width": 0}, "stage.width"),
                                           ({"stride": 3}, "stage.stride"), ({"depth": 0}, "stage.depth"),
                                           ({"se": 2}, "stage.se")])
def test_invalid_genome_file_names_the_field(tmp_path, capsys, change, field):
    d = preset("resnet20").to_dict()
    d["stages"][1].update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    assert main(["describe", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and field in err


def test_malformed_json(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    assert main(["describe", str(path)]) == 2
    assert "malformed JSON" in capsys.readouterr().err
