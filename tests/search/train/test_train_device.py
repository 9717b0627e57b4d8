import pytest
import torch

from search.train import resolve_device


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="--device warp"):
        resolve_device("warp")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="--device cuda: no CUDA GPU is available"):
            resolve_device("cuda")
        with pytest.raises(ValueError, match="--device cuda:1"):
            resolve_device("cuda:1")
