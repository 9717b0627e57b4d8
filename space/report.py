"""The shape-flow table of a genome: rows as data, and their plain-text rendering."""

from __future__ import annotations

from .facts import BLOCK_FACTS, inception_branches
from .genome import Genome, Stage
from .render import arch_string, head_string, stage_string, stem_string
from .walk import Cost, StageCost, complexity
from .rules import design_notes
from .units import human


def concat_widths(st: Stage, c_in: int) -> str:
    """How a concatenating stage makes its width: ``64+6x32=256->128`` (dense, then its transition) or
    ``64+128+32+32`` (an inception module's branches); "" for the other blocks."""
    facts = BLOCK_FACTS[st.block]
    if facts.concat:
        out = st.out_channels(c_in)
        return f"{c_in}+{st.depth}x{st.width}={st.blocks_out(c_in)}" + (f"->{out}" if st.transition else "")
    if facts.branches:
        b1, _, b3, _, b5, pool = inception_branches(st.width, st.branches)
        return f"{b1}+{b3}+{b5}+{pool}"
    return ""


def _concats(g: Genome, cost: Cost) -> list[str]:
    inputs = [cost.stem.channels, *(s.channels for s in cost.stages)]
    return [concat_widths(st, c) for st, c in zip(g.stages, inputs)]


def _row(name: str, what: str, s: StageCost, concat: str = "") -> dict:
    return {"stage": name, "layers": what, "concat": concat, "blocks": s.depth, "size": s.size, "channels": s.channels,
            "params": s.params, "macs": s.macs, "acts": s.acts, "receptive_field": s.receptive_field,
            "output_stride": s.output_stride}


def shape_flow(g: Genome, cost: Cost) -> list[dict]:
    """One row for the stem, each stage and the head: output size, channels, params, MACs, receptive field."""
    rows = [_row("stem", stem_string(g.stem), cost.stem)]
    rows += [_row(f"stage{i}", stage_string(st), s, concat)
             for i, (st, s, concat) in enumerate(zip(g.stages, cost.stages, _concats(g, cost)))]
    rows.append(_row("head", head_string(g.head), cost.head))
    return rows


def describe(g: Genome, resolution: int | None = None) -> dict:
    """Everything ``nas describe --json`` prints: totals, per-stage figures and design notes."""
    cost = complexity(g, resolution)
    stages = [{"index": i, "block": st.block, "depth": st.depth, "width": st.width, "stride": st.stride,
               "kernel": st.kernel, "expansion": st.expansion, "se": st.se, "resolution": s.size,
               "channels": s.channels, "params": s.params, "macs": s.macs, "acts": s.acts,
               "receptive_field": s.receptive_field, "output_stride": s.output_stride, "concat": concat}
              for i, (st, s, concat) in enumerate(zip(g.stages, cost.stages, _concats(g, cost)))]
    return {"arch": arch_string(g), "resolution": cost.resolution, "params": cost.params, "macs": cost.macs,
            "acts": cost.acts, "elementwise": cost.elementwise, "receptive_field": cost.receptive_field,
            "output_stride": cost.output_stride, "stages": stages, "rows": shape_flow(g, cost),
            "notes": design_notes(g, cost), "genome": g.to_dict()}


def format_table(rows: list[dict]) -> str:
    """Render shape-flow rows as an aligned text table."""
    head = ("", "layers", "blocks", "out", "ch", "params", "MACs", "RF", "OS")
    body = [(r["stage"], r["layers"] + (f" [{r['concat']}]" if r.get("concat") else ""), str(r["blocks"]),
             f"{r['size']}x{r['size']}", str(r["channels"]), human(r["params"]), human(r["macs"]),
             str(r["receptive_field"]), str(r["output_stride"]))
            for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    fmt = lambda line: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))  # noqa: E731
    return "\n".join([fmt(head), *map(fmt, body)])


def describe_text(info: dict) -> str:
    """The human-readable form of :func:`describe`'s dict."""
    lines = [info["arch"], "", format_table(info["rows"]), "",
             f"total: {human(info['params'])} params ({info['params']:,}), {human(info['macs'])} MACs "
             f"({info['macs']:,}) at {info['resolution']}x{info['resolution']}, receptive field "
             f"{info['receptive_field']} px, output stride {info['output_stride']}",
             f"       {human(info['elementwise'])} elementwise ops (BN, activations, SE, adds, pools; not in MACs)",
             "MACs = multiply-accumulates of conv and linear layers: what this tool (and torchvision's GFLOPS, "
             "the EfficientNet paper) calls FLOPs.", ""]
    lines += info["notes"]
    return "\n".join(lines)
