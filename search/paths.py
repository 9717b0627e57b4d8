"""Where a study lives: the files of its folder, and the SQLite URL of its database (named and parsed once)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SQLITE_PREFIX = "sqlite:///"
DB_NAME = "study.db"  # a study folder's database: StudyPaths.db


def sqlite_url(db: str | Path) -> str:
    """The SQLAlchemy URL of the SQLite file ``db`` (made absolute, so a later chdir cannot move it)."""
    return f"{SQLITE_PREFIX}{Path(db).resolve()}"


def sqlite_file(url: str | None) -> Path | None:
    """The database file a SQLite URL names, or None for another storage (or an in-memory database)."""
    if not url or not url.startswith(SQLITE_PREFIX):
        return None
    path = url[len(SQLITE_PREFIX):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _in_folder(name: str) -> property:
    """A StudyPaths property: the file ``name`` in the study folder."""
    return property(lambda self: self.folder / name, doc=f"folder/{name}")


@dataclass(frozen=True)
class StudyPaths:
    """Every file of a study folder, named once."""

    folder: Path

    @classmethod
    def of(cls, studies_dir: str | Path, name: str) -> "StudyPaths":
        """studies_dir/name."""
        return cls(Path(studies_dir) / name)

    @classmethod
    def all_in(cls, studies_dir: str | Path) -> list["StudyPaths"]:
        """The study folders under ``studies_dir`` that hold a database file, by name."""
        folder = Path(studies_dir)
        dbs = sorted(folder.glob(f"*/{DB_NAME}")) if folder.is_dir() else []
        return [cls(db.parent) for db in dbs if db.is_file()]

    db = _in_folder(DB_NAME)
    lock = _in_folder(f"{DB_NAME}.lock")
    best = _in_folder("best.json")
    trials_csv = _in_folder("trials.csv")
    dashboard = _in_folder("dashboard.html")
    baselines = _in_folder("baselines.json")
    scaling = _in_folder("scaling.json")
    calibration = _in_folder("calibration.json")

    def sqlite_url(self) -> str:
        """The default storage URL: the SQLite file in the folder."""
        return sqlite_url(self.db)
