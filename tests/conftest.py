import os
from pathlib import Path

import pytest


@pytest.fixture
def cifar_tar() -> Path:
    """The CIFAR-10 tarball named by NAS_CIFAR10_TAR; the test is skipped when it is absent."""
    path = os.environ.get("NAS_CIFAR10_TAR")
    if not path or not Path(path).is_file():
        pytest.skip("NAS_CIFAR10_TAR does not name the CIFAR-10 tarball")
    return Path(path)
