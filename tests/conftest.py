import os
from pathlib import Path

import pytest


def pytest_configure(config):
    """Under pytest-xdist, each worker process gets its share of the cores for torch's threads (two workers that
    each spread over every core would fight over them)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.fixture
def cifar_tar() -> Path:
    """The CIFAR-10 tarball named by NAS_CIFAR10_TAR; the test is skipped when it is absent."""
    path = os.environ.get("NAS_CIFAR10_TAR")
    if not path or not Path(path).is_file():
        pytest.skip("set NAS_CIFAR10_TAR to a CIFAR-10 ImageFolder .tar.gz to run this test")
    return Path(path)
