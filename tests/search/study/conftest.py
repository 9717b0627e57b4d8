import pytest
import torch


@pytest.fixture
def one_thread():
    """In-process runs train on one torch thread, as the subprocesses of the same tests do."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
