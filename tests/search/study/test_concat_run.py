"""A tiny nas run trains nets of dense blocks, and of inception modules."""

import json

import pytest
from optuna.trial import TrialState

from search.cli import main
from space import Genome
from tiny_search import load, run_args


@pytest.mark.slow  # two 2-trial searches: about a minute on a shared CPU
@pytest.mark.parametrize("block", ["dense", "inception"])
def test_a_tiny_run_trains_nets_of_only_this_block(tmp_path, block):
    space = tmp_path / f"{block}.json"
    space.write_text(json.dumps({"kind": "free", "blocks": [block], "stages": [2, 2], "depths": [1, 2],
                                 "widths": [8, 16], "stems": ["cifar"], "stem_widths": [8], "kernels": [3]}))
    args = run_args(tmp_path, "s", "--trials", "2", budget="20M", data="synthetic:240:32:4")
    args[args.index("--space") + 1] = str(space)
    assert main(args) == 0
    done = load(tmp_path).get_trials(states=(TrialState.COMPLETE,))
    assert len(done) == 2
    for t in done:
        g = Genome.from_dict(t.user_attrs["genome"])
        assert {st.block for st in g.stages} == {block} and t.user_attrs["status"] == "ok"
        assert t.user_attrs["macs"] <= 20_000_000 and 0 <= t.values[0] <= 1
