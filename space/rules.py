"""Design-rule notes: the checklist of the design-pattern literature, as plain-language notes, never errors."""

from __future__ import annotations

from .blocks import stem_layers
from .genome import Genome
from .network import Cost, stem_channels

RF_COVERAGE = 0.7  # the last stage should see at least this share of the input (Luo et al. 2016 / Araujo 2019)
BOTTLENECK_MIN_WIDTH = 256  # ResNet uses bottlenecks from 256 channels up
SKIP_DEPTH = 10  # plain nets deeper than this train badly without skip connections (He et al. 2016)


def conv_depth(g: Genome, skip_free_only: bool = False) -> int:
    """Weighted layers on the longest path (stem, blocks, head); or only those outside residual blocks."""
    per_block = {"plain": 1, "basic": 2, "bottleneck": 3, "dwsep": 2, "mbconv": 3}
    depth = sum(row[0] == "conv" for row in stem_layers(g.stem))
    for st in g.stages:
        if not skip_free_only or st.block in ("plain", "dwsep"):
            depth += st.depth * (per_block[st.block] - (st.block == "mbconv" and st.expansion == 1))
    return depth + int(bool(g.head.conv_width)) + len(g.head.hidden) + 1


def design_notes(g: Genome, cost: Cost) -> list[str]:
    """Plain-language notes on where the genome follows or breaks the classic design rules."""
    notes = []
    rf, res = cost.receptive_field, cost.resolution
    if rf >= RF_COVERAGE * res:
        notes.append(f"ok: receptive field at the last stage is {rf} px, {rf / res:.0%} of the {res} px input "
                     f"(rule: >= {RF_COVERAGE:.0%})")
    else:
        notes.append(f"note: receptive field at the last stage is {rf} px, only {rf / res:.0%} of the {res} px "
                     f"input (rule: >= {RF_COVERAGE:.0%}); add depth, larger kernels or an earlier stride")
    c = stem_channels(g)
    for i, st in enumerate(g.stages):
        if st.stride == 2 and not 1.5 <= st.width / c <= 3:
            notes.append(f"note: stage {i} halves the resolution but changes channels {c} -> {st.width} "
                         f"(x{st.width / c:.2g}); the rule is roughly x2")
        if st.block == "bottleneck" and st.width < BOTTLENECK_MIN_WIDTH:
            notes.append(f"note: stage {i} uses bottlenecks at {st.width} channels; ResNet uses them from "
                         f"{BOTTLENECK_MIN_WIDTH} up, below that basic blocks are cheaper for the same accuracy")
        c = st.width
    depth = conv_depth(g)
    plain = conv_depth(g, skip_free_only=True)
    if plain > SKIP_DEPTH:
        notes.append(f"note: {plain} of the {depth} weighted layers have no skip connection around them; plain "
                     f"stacks deeper than ~{SKIP_DEPTH} layers degrade (He et al. 2016): use residual blocks")
    elif depth > SKIP_DEPTH:
        notes.append(f"ok: {depth} weighted layers, at most {plain} of them without skip connections")
    if len(cost.stages) >= 2 and cost.params:
        share = sum(s.params for s in cost.stages[-2:]) / cost.params
        notes.append(f"info: the last two stages hold {share:.0%} of the parameters"
                     + (" (typical of ResNets; width there is the cheapest place to cut)" if share > 0.6 else ""))
    return notes
