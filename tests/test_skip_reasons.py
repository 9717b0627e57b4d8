"""A skipped test says how to run it: every optional import names the extra or variable that enables it."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_importorskip_gives_a_reason_naming_what_enables_it():
    calls = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "importorskip":
                calls.append((path.name, node.lineno, {k.arg for k in node.keywords}))
    assert len(calls) >= 6  # shtab twice, onnxscript and onnxruntime twice each, playwright
    assert [(name, line) for name, line, keywords in calls if "reason" not in keywords] == []

