"""Proxy fidelity: how well a short training ranks architectures as a long one does (``nas calibrate``).

Pure functions: rank correlations from SciPy (Kendall tau-b and Spearman rho, both tie-aware), a seeded
percentile bootstrap over the architectures, and :func:`calibrate`, which turns validation
accuracies per training length into the JSON-ready record stored as the study attribute
``search.report.results.CALIBRATION_KEY`` and in ``studies/NAME/calibration.json``. :func:`calibration_data` is
what the dashboard draws from that record; :func:`fidelity_line` is how ``nas run`` shows it.
A tau of fewer than :data:`MIN_MEANINGFUL` architectures is marked as not meaningful and recommends nothing.

The bootstrap stays a 10-line resample rather than ``scipy.stats.bootstrap``: with 3 to 5 architectures
many resamples repeat one architecture, tau is undefined there, and SciPy's interval is then NaN (measured:
5 architectures, 1000 resamples), where this one leaves those resamples out.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np

THRESHOLD = 0.7  # the Kendall tau a proxy needs to be recommended
RESAMPLES = 1000  # bootstrap resamples of the architectures
CONFIDENCE = 0.95
MIN_MEANINGFUL = 6  # fewer architectures give a tau whose interval spans most of [-1, 1]: not worth reading


def _pair(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"rank correlation needs two equally long 1-d sequences, got {a.shape} and {b.shape}")
    return a, b


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b (scipy.stats.kendalltau): concordant minus discordant pairs over the untied ones; NaN if
    undefined."""
    from scipy.stats import kendalltau

    a, b = _pair(x, y)
    if len(a) < 2:
        return math.nan
    with warnings.catch_warnings():  # all ties on one side: undefined, which NaN already says
        warnings.simplefilter("ignore")
        return float(kendalltau(a, b).statistic)


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho (scipy.stats.spearmanr): the Pearson correlation of average ranks; NaN if either side is
    all ties."""
    from scipy.stats import spearmanr

    a, b = _pair(x, y)
    if len(a) < 2:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(a, b).statistic)


def bootstrap_interval(x: Sequence[float], y: Sequence[float], stat: Callable = kendall_tau,
                       resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of ``stat`` over resamples of the pairs (drawn with replacement, seeded);
    resamples where it is undefined (all one architecture) are left out. (NaN, NaN) when none is defined."""
    a, b = _pair(x, y)
    if not len(a):
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(a), size=(resamples, len(a)))
    values = np.array([stat(a[i], b[i]) for i in draws])
    values = values[np.isfinite(values)]
    if not len(values):
        return math.nan, math.nan
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


@dataclass(frozen=True)
class ProxyFidelity:
    """How one proxy length ranks the architectures against the full length."""

    epochs: int  # the proxy's training epochs
    kendall_tau: float | None  # None when undefined (fewer than two architectures, or all ties)
    spearman_rho: float | None
    tau_low: float | None  # the bootstrap interval of kendall_tau
    tau_high: float | None
    n_archs: int  # architectures trained to the end at both lengths

    @property
    def meaningful(self) -> bool:
        """Whether enough architectures were ranked for the tau to mean something."""
        return self.n_archs >= MIN_MEANINGFUL


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def fidelity(epochs: int, proxy: Sequence[float | None], full: Sequence[float | None], seed: int = 0,
             resamples: int = RESAMPLES, confidence: float = CONFIDENCE) -> ProxyFidelity:
    """Kendall tau (with its interval) and Spearman rho of the architectures with both accuracies."""
    both = [(p, f) for p, f in zip(proxy, full) if p is not None and f is not None]
    x, y = [p for p, _ in both], [f for _, f in both]
    lo, hi = bootstrap_interval(x, y, kendall_tau, resamples, confidence, seed) if both else (math.nan, math.nan)
    return ProxyFidelity(epochs, _finite(kendall_tau(x, y)), _finite(spearman_rho(x, y)), _finite(lo), _finite(hi),
                         len(both))


def recommended(proxies: Sequence[ProxyFidelity], threshold: float = THRESHOLD) -> int | None:
    """The fewest epochs whose meaningful Kendall tau reaches ``threshold`` (None when no proxy does)."""
    good = [p.epochs for p in proxies if p.kendall_tau is not None and p.kendall_tau >= threshold and p.meaningful]
    return min(good) if good else None


def calibrate(accuracy: Mapping[int, Sequence[float | None]], full_epochs: int, seed: int = 0,
              resamples: int = RESAMPLES, confidence: float = CONFIDENCE, threshold: float = THRESHOLD) -> dict:
    """The calibration record from validation accuracies per training length (one entry per architecture, in
    the same order; None where its training failed): one :class:`ProxyFidelity` per length below
    ``full_epochs``, and the recommended length."""
    full = accuracy[full_epochs]
    proxies = [fidelity(e, accuracy[e], full, seed, resamples, confidence)
               for e in sorted(accuracy) if e != full_epochs]
    return {"full_epochs": full_epochs, "split": "validation", "proxies": [{**asdict(p), "meaningful": p.meaningful} for p in proxies],
            "threshold": threshold, "recommended_epochs": recommended(proxies, threshold),
            "bootstrap": {"resamples": resamples, "confidence": confidence, "seed": seed}}


def fidelity_line(calibration: Mapping[str, Any], epochs: int) -> str:
    """How a run of ``epochs`` epochs is told its proxy's measured fidelity."""
    by_epochs = {p.get("epochs"): p for p in calibration.get("proxies", [])}
    p = by_epochs.get(epochs)
    if p is None:
        return (f"proxy fidelity: calibrated for {sorted(by_epochs)} epochs against "
                f"{calibration.get('full_epochs')}, not for {epochs}")
    if p.get("kendall_tau") is None:
        return f"proxy fidelity: Kendall tau undefined for {epochs} epochs (too few distinct accuracies)"
    interval = f" [{p['tau_low']:.2f}, {p['tau_high']:.2f}]" if p.get("tau_low") is not None else ""
    return (f"proxy fidelity: Kendall tau {p['kendall_tau']:.2f}{interval} for {epochs} epochs against "
            f"{calibration.get('full_epochs')} (nas calibrate, {p.get('n_archs', '?')} architectures"
            f"{'' if p.get('n_archs', 0) >= MIN_MEANINGFUL else f'; not meaningful with fewer than {MIN_MEANINGFUL}'})")


class CalibrationPanel(NamedTuple):
    """One proxy length: each architecture's validation accuracy at it and at the full length."""

    epochs: int
    kendall_tau: float | None
    tau_low: float | None
    tau_high: float | None
    proxy_acc: tuple[float, ...]
    full_acc: tuple[float, ...]
    arch: tuple[str, ...]


class CalibrationData(NamedTuple):
    """What the dashboard draws of a calibration: one panel per proxy length."""

    full_epochs: int
    panels: tuple[CalibrationPanel, ...]


def calibration_data(calibration: Any) -> CalibrationData | None:
    """The dashboard's calibration panels (None without a calibration, or one without architectures)."""
    if not isinstance(calibration, Mapping) or not calibration.get("archs"):
        return None
    full = int(calibration["full_epochs"])
    panels = []
    for p in calibration.get("proxies", []):
        rows = [(a["val_acc"].get(str(p["epochs"])), a["val_acc"].get(str(full)), a.get("arch", ""))
                for a in calibration["archs"]]
        rows = [r for r in rows if r[0] is not None and r[1] is not None]
        panels.append(CalibrationPanel(int(p["epochs"]), p.get("kendall_tau"), p.get("tau_low"), p.get("tau_high"),
                                       tuple(r[0] for r in rows), tuple(r[1] for r in rows), tuple(r[2] for r in rows)))
    return CalibrationData(full, tuple(panels))


def read_calibration(path: str | Path) -> dict | None:
    """The calibration a study folder's calibration.json holds (None when absent); a damaged file is one error."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        value = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{p}: expected a JSON object")
    return value
