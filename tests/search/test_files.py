"""write_atomic under a full disk: the previous file survives byte for byte and no temporary file is left."""

import errno
import os
from pathlib import Path

import pytest

import search.files as files
from search.files import TEMP_SUFFIX, clean_stale_temps, write_atomic

OLD = "trial,val_acc\n0,0.5\n1,0.25\n"
NEW = "trial,val_acc\n" + "".join(f"{i},0.{i:04d}\n" for i in range(2000))


def full_disk(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


@pytest.fixture
def previous(tmp_path) -> Path:
    target = tmp_path / "trials.csv"
    target.write_text(OLD)
    return target


def test_a_write_refused_partway_keeps_the_previous_file_and_leaves_no_temp(previous):
    def half(tmp: Path) -> None:  # half of the bytes reach the temporary file, then the disk is full
        tmp.write_text(NEW[: len(NEW) // 2])
        full_disk()

    with pytest.raises(OSError) as e:
        write_atomic(previous, half)
    assert e.value.errno == errno.ENOSPC
    assert previous.read_text() == OLD
    assert leftovers(previous.parent) == []


@pytest.mark.parametrize("data", [NEW, NEW.encode()], ids=["text", "bytes"])
def test_a_full_disk_found_only_when_flushed_keeps_the_previous_file(previous, monkeypatch, data):
    monkeypatch.setattr(files.os, "fsync", full_disk)  # delayed allocation: the write passed, the flush fails
    with pytest.raises(OSError):
        write_atomic(previous, data)
    assert previous.read_bytes() == OLD.encode()
    assert leftovers(previous.parent) == []


def test_a_complete_write_replaces_the_file(previous):
    assert write_atomic(previous, NEW) == previous
    assert previous.read_text() == NEW
    assert leftovers(previous.parent) == []


def test_clean_stale_temps_removes_only_old_temporary_files(tmp_path):
    old, fresh, other = (tmp_path / f".a.csv.1.2{TEMP_SUFFIX}", tmp_path / f".b.csv.1.2{TEMP_SUFFIX}",
                         tmp_path / "trials.csv")
    for p in (old, fresh, other):
        p.write_text("x")
    os.utime(old, (0, 0))
    assert clean_stale_temps(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, other.name])
