"""nas --print-completion: shtab's static scripts from the real parser; a clear line when shtab is absent."""

import shutil
import subprocess
import sys

import pytest

from search.cli import main


def completions(script: str, *words: str) -> list[str]:
    """What bash offers after ``words`` (the last one being completed) with the generated script loaded."""
    words_q = " ".join(f"'{w}'" for w in words)
    line = f'source /dev/stdin; COMP_WORDS=({words_q}); COMP_CWORD={len(words) - 1}; _shtab_nas; ' \
           'printf "%s\\n" "${COMPREPLY[@]}"'
    done = subprocess.run(["bash", "-c", line], input=script, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completion_offers_commands_flags_and_choices(capsys):
    pytest.importorskip("shtab", reason="needs the completion extra: pip install -e '.[completion]'")
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    assert main(["--print-completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert completions(script, "nas", "ru") == ["run"]
    assert completions(script, "nas", "run", "--obj") == ["--objectives"]
    assert completions(script, "nas", "run", "--objectives", "") == ["accuracy", "accuracy,macs", "accuracy,latency"]
    assert completions(script, "nas", "train", "--format", "o") == ["onnx"]


def test_zsh_completion_is_a_compdef_for_nas(capsys):
    pytest.importorskip("shtab", reason="needs the completion extra: pip install -e '.[completion]'")
    assert main(["--print-completion", "zsh"]) == 0
    script = capsys.readouterr().out
    assert script.startswith("#compdef nas") and "--budget" in script and "--max-train-images" in script


def test_without_shtab_it_is_one_line_naming_the_package(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "shtab", None)  # import of a None entry raises ImportError
    assert main(["--print-completion", "bash"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and "pip install shtab" in out.err
    assert main(["--print-completion", "fish"]) == 2 and "invalid choice: 'fish'" in capsys.readouterr().err
