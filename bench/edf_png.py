"""The EDF picture of bench/cpu_evidence.py as a PNG, with whichever writer this machine has: plotly with kaleido,
else matplotlib, else a plain raster written here (curves and axes, no text: the .txt beside it has the numbers).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from search.report.edf import edf_steps

COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (140, 86, 75))


def draw_edf(edf: dict[str, list[float]], baselines: dict[str, float], path: Path, title: str) -> str:
    """Write the picture; return which writer made it."""
    for writer in (_plotly, _matplotlib, _raster):
        try:
            return writer(edf, baselines, path, title)
        except ImportError:
            continue
        except Exception as e:  # noqa: BLE001  (kaleido without a browser raises its own errors)
            if writer is _raster:
                raise
            print(f"{writer.__name__[1:]} could not write the PNG ({str(e).splitlines()[0] if str(e) else e}); "
                  "trying the next writer")
    return "none"


def _plotly(edf, baselines, path, title) -> str:  # noqa: ANN001
    import kaleido  # noqa: F401  (plotly needs it for PNGs)
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, errs in edf.items():
        xs, ys = edf_steps(errs)
        fig.add_scatter(x=xs, y=ys, mode="lines", name=f"{name} ({len(errs)})")
    for name, err in baselines.items():
        fig.add_vline(x=err, line_dash="dash", annotation_text=name)
    fig.update_layout(title=title, xaxis_title="validation error", yaxis_title="share of nets with error <= x",
                      width=800, height=500)
    fig.write_image(str(path))
    return "plotly + kaleido"


def _matplotlib(edf, baselines, path, title) -> str:  # noqa: ANN001
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, errs in edf.items():
        ax.plot(*edf_steps(errs), label=f"{name} ({len(errs)})")
    for i, (name, err) in enumerate(baselines.items()):
        ax.axvline(err, linestyle="--", color="grey")
        ax.text(err, 0.05 + 0.08 * i, f" {name}", fontsize=8)
    ax.set(title=title, xlabel="validation error", ylabel="share of nets with error <= x", ylim=(0, 1.02))
    ax.legend(loc="upper left")  # the baselines are named at the bottom
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "matplotlib"


def _raster(edf, baselines, path, title, w: int = 640, h: int = 400) -> str:  # noqa: ANN001, ARG001
    px = [[(255, 255, 255)] * w for _ in range(h)]
    values = [e for errs in edf.values() for e in errs] + list(baselines.values())
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    lo, hi = max(0.0, lo - 0.02), min(1.0, hi + 0.02) if hi > lo else lo + 0.1
    m = 40

    def at(x: float, y: float) -> tuple[int, int]:
        return m + round((x - lo) / (hi - lo) * (w - 2 * m)), h - m - round(y * (h - 2 * m))

    def line(a: tuple[int, int], b: tuple[int, int], c: tuple[int, int, int], dash: bool = False) -> None:
        n = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
        for i in range(n + 1):
            if dash and (i // 4) % 2:
                continue
            x, y = a[0] + (b[0] - a[0]) * i // n, a[1] + (b[1] - a[1]) * i // n
            for dx, dy in ((0, 0), (1, 0), (0, 1)):
                if 0 <= y + dy < h and 0 <= x + dx < w:
                    px[y + dy][x + dx] = c

    line(at(lo, 0), at(hi, 0), (0, 0, 0))
    line(at(lo, 0), at(lo, 1), (0, 0, 0))
    for k, errs in enumerate(edf.values()):
        xs, ys = edf_steps(errs)
        pts = [at(lo, 0)] + [at(x, y) for x, y in zip(xs, ys)] + [at(hi, 1)]
        for a, b in zip(pts, pts[1:]):
            line(a, (b[0], a[1]), COLOURS[k % len(COLOURS)])
            line((b[0], a[1]), b, COLOURS[k % len(COLOURS)])
    for err in baselines.values():
        line(at(err, 0), at(err, 1), (110, 110, 110), dash=True)
    raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in px)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    names = ", ".join(f"{n} rgb{COLOURS[k % len(COLOURS)]}" for k, n in enumerate(edf))
    return f"built-in raster (no text; {names}; baselines dashed grey)"
