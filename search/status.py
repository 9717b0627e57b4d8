"""How a trial or a training run ended: the one list of outcomes, shared by training and the study."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """How a trial ended (or that it has not yet); a training run ends with one of TRAIN_STATUSES."""

    OK = "ok"  # trained to the last epoch
    PRUNED = "pruned"  # stopped early by the pruner
    REJECTED = "rejected"  # its genome cannot fit the budget: never trained
    NAN = "nan"  # the loss diverged
    OOM = "oom"  # out of memory
    ERROR = "error"  # an exception in the model or its training
    TIMEOUT = "timeout"  # --trial-timeout reached
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, or its process died (no heartbeat)
    RUNNING = "running"
    WAITING = "waiting"  # enqueued, not yet claimed

    def __str__(self) -> str:
        """Its value ("ok"), as the messages that print a status have always read (not "Status.OK")."""
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def trained(self) -> bool:
        """Counts towards --trials: it finished training (to the end or pruned)."""
        return self in (Status.OK, Status.PRUNED)

    @property
    def failed(self) -> bool:
        """Ended without a result (rejections included: they count towards --max-failures)."""
        return self not in (Status.OK, Status.PRUNED, Status.RUNNING, Status.WAITING)

    @property
    def category(self) -> str:
        """The dashboard's five states: complete, pruned, rejected, failed, running."""
        if self in (Status.RUNNING, Status.WAITING):
            return "running"
        if self is Status.OK:
            return "complete"
        if self in (Status.PRUNED, Status.REJECTED):
            return self.value
        return "failed"


CATEGORIES = ("complete", "pruned", "rejected", "failed", "running")
# the ends a training run itself reports (the study adds rejected, interrupted, running and waiting)
TRAIN_STATUSES = (Status.OK, Status.PRUNED, Status.NAN, Status.OOM, Status.ERROR, Status.TIMEOUT)
