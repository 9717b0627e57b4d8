"""Storage: opening an Optuna RDB storage, locks shared by every process of a study, heartbeats, and
retries, so that a storage fault ends a run with one line instead of a traceback."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import optuna

from ..paths import sqlite_file
from ..status import Status
from .internals import heartbeats, stale_trial_ids
from .record import record_attrs, write_record

T = TypeVar("T")
RETRIES = 4  # attempts at a storage call before the fault is taken as lasting
BACKOFF_S = 0.5  # first wait between attempts; it doubles


class SearchError(ValueError):
    """A search that cannot start or go on, for a reason the user can act on."""


class StorageError(SearchError):
    """The storage failed and kept failing: the run stops; what is stored stays."""

    exit_code = 1  # a fault of the storage, not of the command line (one that cannot be opened is 2)


def redact_url(url: str) -> str:
    """A storage URL fit to print: its password hidden."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL sqlalchemy can parse: hide whatever stands before an '@'
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return url


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:200]


# what SQLite (or the disk under it) says, somewhere in an exception's chain -> the cause in plain words and
# whether it lasts (no retry helps); Optuna's own wrapper says only "invalid data in the commit" for them all
_CORRUPT = ("the database file is corrupt: `sqlite3 {db} .recover | sqlite3 recovered.db` may save what it holds "
            "(or restore a copy)")
_FAULTS = (
    ("database disk image is malformed", _CORRUPT, True),
    ("file is not a database", _CORRUPT, True),
    ("database or disk is full", "no space left on the device", True),
    ("no space left on device", "no space left on the device", True),
    ("readonly database", "the database is read-only (its permissions, an immutable flag or a read-only disk)", True),
    ("unable to open database file", "the database file cannot be opened (missing, or its folder unreadable)", True),
    ("disk i/o error", "a disk I/O error (a failing disk, or the file removed while in use)", False),  # may pass
    ("database is locked", "the database stayed locked by another process", False),
)


def _chain(e: BaseException) -> list[BaseException]:
    """``e`` and the exceptions it was raised from, outermost first."""
    out: list[BaseException] = []
    while e is not None and e not in out:
        out.append(e)
        e = e.__cause__ or e.__context__
    return out


def fault(e: BaseException, url: str | None = None) -> tuple[str, bool]:
    """What went wrong with a storage, in words a user can act on, and whether it lasts (a retry cannot help)."""
    db = sqlite_file(url)
    if db is not None and not db.exists():
        return f"the database file {db} is missing (deleted while in use?)", True
    text = " ".join(str(x) for x in _chain(e)).lower()
    for key, words, lasting in _FAULTS:
        if key in text:
            return words.format(db=db or "study.db"), lasting
    return _first_line(_chain(e)[-1]), False


def storage_error(url: str, e: BaseException, doing: str = "open") -> StorageError:
    """One line naming the storage (password hidden) and the cause of its complaint."""
    error = StorageError(f"cannot {doing} storage {redact_url(url)}: {fault(e, url)[0]}")
    if doing == "open":  # a URL or server the user named that does not work: fixed on the command line
        error.exit_code = 2
    return error


def check_url(url: str) -> None:
    """Refuse URLs that cannot name a study database (sqlite:// is an in-memory database gone at exit)."""
    if url.rstrip("/") in ("sqlite:", "sqlite:/") or url in ("sqlite://", "sqlite:///:memory:"):
        raise SearchError(f"--storage {url}: an in-memory SQLite database forgets the study when nas exits; "
                          "give a file (sqlite:///path/study.db) or a server URL")


def open_storage(url: str, heartbeat_s: int = 10) -> optuna.storages.RDBStorage:
    """An RDB storage with heartbeats (so a killed trial is failed, not left RUNNING)."""
    check_url(url)
    engine: dict[str, Any] = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    for attempt in range(RETRIES):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=heartbeat_s,
                                              grace_period=6 * heartbeat_s)
        except Exception as e:  # sqlalchemy raises many kinds; all mean "cannot use this storage"
            # processes that open an empty database at once race to create Optuna's tables and version row:
            # the loser's duplicate key is gone on a retry, as the tables then exist
            if not _schema_race(e) or attempt == RETRIES - 1:
                raise storage_error(url, e) from None
            time.sleep(BACKOFF_S * (attempt + 1))
    raise AssertionError("unreachable")


def _schema_race(e: BaseException) -> bool:
    try:
        import sqlalchemy.exc as sa
    except ImportError:  # pragma: no cover - optuna's RDB storage needs sqlalchemy
        return False
    return isinstance(e, sa.IntegrityError)


def transient(e: BaseException) -> bool:
    """Whether a storage exception may pass on a retry (lost connection, locked or busy database)."""
    try:
        import sqlalchemy.exc as sa
    except ImportError:  # pragma: no cover - optuna's RDB storage needs sqlalchemy
        return False
    if fault(e)[1]:  # a corrupt, full or read-only database stays so
        return False
    if isinstance(e, optuna.exceptions.StorageInternalError):
        return True
    return isinstance(e, (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError))


def with_retry(url: str, what: str, fn: Callable[[], T], retries: int = RETRIES) -> T:
    """``fn()``, retried with back-off while the storage fault is transient; a lasting one is a StorageError."""
    wait = BACKOFF_S
    for attempt in range(retries):
        try:
            return fn()
        except Exception as e:
            if not transient(e):
                raise
            if attempt == retries - 1:
                raise storage_error(url, e, what) from None
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


@contextlib.contextmanager
def storage_lock(url: str, name: str, lock_file: Path | None = None) -> Iterator[None]:
    """Hold a lock named ``name`` shared by every process using the storage at ``url``.

    SQLite is guarded by a file lock beside the database (``filelock``: portable); PostgreSQL by
    an advisory lock; other servers get no lock (workers may then overshoot by one)."""
    if url.startswith("sqlite"):
        from filelock import FileLock

        db = sqlite_file(url)
        path = lock_file or Path(f"{db}.lock")
        with FileLock(str(path)):
            yield
    elif url.startswith("postgresql"):
        import sqlalchemy

        key = zlib.crc32(name.encode())
        try:
            engine = sqlalchemy.create_engine(url)
            conn = engine.connect()
        except Exception as e:  # no driver, or the unreachable server open_storage would report
            raise storage_error(url, e) from None
        with conn:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection releases the lock itself
                    conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        engine.dispose()
    else:
        yield


def fail_stale(storage: optuna.storages.RDBStorage, study_id: int) -> list[int]:
    """Fail the running trials whose process died (silent for the grace period), saying why; their ids."""
    ids = stale_trial_ids(storage, study_id)
    end = record_attrs(status=Status.INTERRUPTED, reason=f"no heartbeat for {storage.grace_period} s: its process "
                                                         "was killed or lost")
    for trial_id in ids:
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):  # another process failed it first
            for key, value in end.items():
                storage.set_trial_user_attr(trial_id, key, value)
            storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
    return ids


def stale_wait(storage: optuna.storages.RDBStorage, study_id: int) -> float | None:
    """Seconds until the first silent running trial counts as stale; None when every running trial beats."""
    interval, grace = storage.heartbeat_interval or 1, storage.grace_period or 0
    now, beats = heartbeats(storage, study_id)
    ages = [(now.replace(tzinfo=None) - b.replace(tzinfo=None)).total_seconds() for b in beats]
    silent = [grace - age for age in ages if age > 2 * interval]
    return max(0.0, min(silent)) if silent else None


class Heartbeat:
    """Records a trial's heartbeat from a thread while it trains."""

    def __init__(self, storage: optuna.storages.RDBStorage, trial_id: int, every_s: int) -> None:
        self.stop = threading.Event()
        storage.record_heartbeat(trial_id)
        self.thread = threading.Thread(target=self._beat, args=(storage, trial_id, every_s), daemon=True)
        self.thread.start()

    def _beat(self, storage: optuna.storages.RDBStorage, trial_id: int, every_s: int) -> None:
        while not self.stop.wait(every_s):
            with contextlib.suppress(Exception):  # a missed beat is retried; the trial goes on
                storage.record_heartbeat(trial_id)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def mark(trial: Any, status: Status, reason: str) -> None:
    """Record a trial's end status and reason."""
    write_record(trial, status=status, reason=reason.splitlines()[0][:500] if reason else status.value)


def warn(message: str) -> None:
    """One warning line on stderr."""
    print(f"nas: warning: {message}", file=sys.stderr, flush=True)


def quiet_optuna() -> None:
    """Our progress lines replace Optuna's INFO log; its experimental-feature warnings are ours to carry."""
    import warnings

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
