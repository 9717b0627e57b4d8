import json

import pytest

from search.status import TRAIN_STATUSES
from search.train import TrainConfig, TrainResult


@pytest.mark.parametrize("field, value", [
    ("epochs", 0), ("batch_size", -1), ("eval_batch_size", 0), ("lr", 0.0), ("momentum", 1.0),
    ("weight_decay", -1e-4), ("label_smoothing", 1.0), ("schedule", "step"), ("warmup", 1.0),
    ("crop_padding", -1), ("cutout", -2), ("bf16", "yes"), ("max_train_images", 0), ("resolution", 0),
    ("time_limit_s", 0.0), ("latency_batch_sizes", (1, 0)), ("latency_batch_sizes", 256), ("epochs", True),
])
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})
    with pytest.raises(ValueError, match="nesterov"):
        TrainConfig(momentum=0.0)
    assert TrainConfig(latency_batch_sizes=[1, 64]).latency_batch_sizes == (1, 64)


def test_result_to_dict_carries_latency_fields_and_drops_non_finite():
    result = TrainResult("ok", "", 1, 0.5, float("nan"), latency_ms={"b1": 2.5, "b8": None},
                         latency_iqr_ms={"b1": 0.25, "b8": None}, latency_threads=1)
    d = result.to_dict()
    assert d["val_loss"] is None and d["latency_iqr_ms"] == {"b1": 0.25, "b8": None} and d["latency_threads"] == 1
    json.dumps(d, allow_nan=False)
    assert TRAIN_STATUSES == ("ok", "pruned", "nan", "oom", "error", "timeout")


def test_only_a_runs_own_peak_memory_is_a_trials():
    gpu = TrainResult("ok", "", 1, 0.5, 0.1, peak_memory_bytes=3 << 20, peak_memory_kind="cuda_max_allocated")
    cpu = TrainResult("ok", "", 1, 0.5, 0.1, peak_memory_bytes=900 << 20, peak_memory_kind="cpu_max_rss")
    assert (gpu.run_peak_bytes, cpu.run_peak_bytes, TrainResult("ok", "", 1, 0.5, 0.1).run_peak_bytes) == \
        (3 << 20, None, None)


def test_a_status_prints_as_its_value():
    from search.status import Status

    assert (f"{Status.OK}: done", str(Status.NAN), f"{Status.OOM:>5}") == ("ok: done", "nan", "  oom")
