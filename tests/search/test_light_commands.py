"""The analytic commands need no tensors: ``nas presets`` and ``nas describe`` never import torch."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "torchvision", "optuna", "pandas", "plotly", "scipy")

CHILD = """
import contextlib, io, json, sys
from search.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules], "out": out.getvalue()}))
""" % (HEAVY,)


@pytest.mark.parametrize("argv, shown", [
    (["presets"], "resnet50"),
    (["describe", "efficientnet_b0"], "385.81M MACs (385,814,752)"),
    (["describe", "resnet20", "--resolution", "64", "--json"], '"params": 269722'),
])
def test_analytic_commands_import_no_torch(argv, shown):
    done = subprocess.run([sys.executable, "-c", CHILD, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0 and shown in result["out"]
    assert result["loaded"] == []
