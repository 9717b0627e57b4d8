"""What ``nas train`` leaves behind: weights, genome, result, and the model exported for deployment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..common import UsageError


def write_trained(folder: Path, model: Any, genome: Any, result: dict, formats: Sequence[str]) -> list[str]:
    """Write weights.pt, genome.json, result.json and each export into ``folder`` (atomically); file names."""
    import torch

    from ...export import EXPORTS
    from ...files import clean_stale_temps, write_atomic

    try:
        folder.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(folder, 0)
        write_atomic(folder / "weights.pt", lambda tmp: torch.save(model.state_dict(), tmp))
        write_atomic(folder / "genome.json", genome.to_json())
        args = (model, result["mean"], result["std"], result["channels"], result["resolution"])
        names = ["weights.pt", "genome.json"]
        for fmt in dict.fromkeys(formats):
            name, fn = EXPORTS[fmt]
            fn(*args, folder / name)
            names.append(name)
        write_atomic(folder / "result.json", json.dumps(result, indent=2))
    except OSError as e:
        raise UsageError(f"cannot write to {folder}: {e.strerror or e}") from None
    return names + ["result.json"]
