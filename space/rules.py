"""Design-rule notes: the checklist of the design-pattern literature, as plain-language notes, never errors."""

from __future__ import annotations

from typing import Iterator

from .facts import BLOCK_FACTS
from .genome import Genome, Stage
from .twins import stem_layers
from .walk import Cost, stage_layout, stem_channels

RF_COVERAGE = 0.7  # the last stage should see at least this share of the input (Luo et al. 2016 / Araujo 2019)
SKIP_DEPTH = 10  # plain nets deeper than this train badly without skip connections (He et al. 2016)
GROWTH = (1.5, 3.0)  # channels grow about x2 where the resolution halves (VGG, ResNet); x1.5 to x3 passes
MIN_LAST_MAP = 2  # a last map of 1x1 has no spatial structure left for the last stages to see
HEAD_SHARE = 0.5  # a head holding more of the parameters than this is a flatten + FC head (VGG)
# resolution levels the literature uses, by input size: 4-5 at ImageNet scale (ResNet, MobileNet), 3 on CIFAR
LEVELS: tuple[tuple[int, tuple[int, int]], ...] = ((128, (4, 5)), (0, (3, 5)))


def skip_free_runs(g: Genome) -> Iterator[tuple[int, bool]]:
    """(weighted layers, inside a residual block?) along the longest path: stem, every block, head."""
    yield sum(row[0] == "conv" for row in stem_layers(g.stem)), False
    c = stem_channels(g)
    for st in g.stages:
        facts = BLOCK_FACTS[st.block]
        for c_in, c_out, stride in stage_layout(st, c):
            yield facts.weighted_layers(st.expansion), facts.has_residual(c_in, c_out, stride)
        c = st.width
    yield int(bool(g.head.conv_width)) + len(g.head.hidden) + 1, False


def conv_depth(g: Genome, skip_free_only: bool = False) -> int:
    """Weighted layers on the longest path (stem, blocks, head); or only those outside residual blocks."""
    return sum(n for n, residual in skip_free_runs(g) if not (skip_free_only and residual))


def longest_skip_free(g: Genome) -> int:
    """The most weighted layers in a row with no skip connection around them."""
    best = run = 0
    for n, residual in skip_free_runs(g):
        run = 0 if residual else run + n
        best = max(best, run)
    return best


def halvings(g: Genome, cost: Cost) -> list[tuple[int, int, int]]:
    """(stage, channels before, channels after) for each stage that works at half its predecessor's size.

    A stride-2 stage works at its output size; a stage followed by a max-pool (VGG, GoogLeNet) or a transition
    (DenseNet) works at its input size, so the pool halves the resolution for the *next* stage and pairs with that
    stage's widths. Widths are the channels a stage hands on (a dense stage's compressed concatenation)."""
    inputs = [cost.stem.size, *(s.size for s in cost.stages)]
    working = [inputs[i] if st.downsample != "stride" else inputs[i + 1] for i, st in enumerate(g.stages)]
    widths = [stem_channels(g), *(s.channels for s in cost.stages)]
    return [(i, widths[i], widths[i + 1]) for i in range(len(g.stages))
            if working[i] < (working[i - 1] if i else cost.stem.size)]


def levels(cost: Cost) -> list[int]:
    """The distinct feature-map sizes among the stage outputs, largest first: the resolution levels."""
    return sorted({s.size for s in cost.stages}, reverse=True)


def expected_levels(resolution: int) -> tuple[int, int]:
    """How many resolution levels the literature uses at this input size."""
    return next(span for least, span in LEVELS if resolution >= least)


def _rf_note(cost: Cost) -> str:
    rf, res = cost.receptive_field, cost.resolution
    if rf >= RF_COVERAGE * res:
        return (f"ok: receptive field at the last stage is {rf} px, {rf / res:.0%} of the {res} px input "
                f"(rule: >= {RF_COVERAGE:.0%})")
    return (f"note: receptive field at the last stage is {rf} px, only {rf / res:.0%} of the {res} px "
            f"input (rule: >= {RF_COVERAGE:.0%}); add depth, larger kernels or an earlier stride")


def _width_notes(g: Genome, cost: Cost) -> list[str]:
    notes = []
    c = stem_channels(g) if g.stem.kind != "none" else 0
    halved = {i: (a, b) for i, a, b in halvings(g, cost)}
    for i, (st, out) in enumerate(zip(g.stages, cost.stages)):
        if out.channels < c:
            notes.append(f"note: stage {i} shrinks channels {c} -> {out.channels}; widths usually never decrease "
                         "with depth")
        if i in halved and not GROWTH[0] <= out.channels / halved[i][0] <= GROWTH[1]:
            a, b = halved[i]
            notes.append(f"note: stage {i} halves the resolution but changes channels {a} -> {b} "
                         f"(x{b / a:.2g}); the rule is roughly x2")
        floor = BLOCK_FACTS[st.block].min_width
        if BLOCK_FACTS[st.block].too_narrow(st.width, st.expansion):
            notes.append(f"note: stage {i} uses {st.block} blocks at {st.width} channels; ResNet uses them from "
                         f"{floor} up, below that {BLOCK_FACTS[st.block].stand_in} blocks are cheaper for the "
                         "same accuracy")
        c = out.channels
    return notes


def _level_notes(cost: Cost) -> list[str]:
    sizes, res = levels(cost), cost.resolution
    lo, hi = expected_levels(res)
    listed = ", ".join(map(str, sizes))
    notes = [f"{'ok' if lo <= len(sizes) <= hi else 'note'}: {len(sizes)} resolution levels ({listed} px) "
             f"from the {res} px input (rule: {lo}-{hi} at this size)"]
    if sizes[-1] < MIN_LAST_MAP:
        notes.append(f"note: the last feature map is {sizes[-1]}x{sizes[-1]}: the last stages see no spatial "
                     "structure; remove a stride or raise the resolution")
    return notes


def _skip_note(g: Genome) -> list[str]:
    depth, free, run = conv_depth(g), conv_depth(g, skip_free_only=True), longest_skip_free(g)
    if run > SKIP_DEPTH:
        return [f"note: {free} of the {depth} weighted layers have no skip connection around them, {run} in a "
                f"row; plain stacks deeper than ~{SKIP_DEPTH} layers degrade (He et al. 2016): use residual blocks"]
    if depth > SKIP_DEPTH:
        return [f"ok: {depth} weighted layers, {free} of them outside residual blocks, at most {run} in a row"]
    return []


def _params_note(cost: Cost) -> list[str]:
    if len(cost.stages) < 2 or not cost.params:
        return []
    last2 = sum(s.params for s in cost.stages[-2:]) / cost.params
    head = cost.head.params / cost.params
    typical = last2 > 0.6 and head < 0.25
    notes = [f"info: the last two stages hold {last2:.0%} of the parameters, the head {head:.0%}"
             + (" (typical of ResNets; width there is the cheapest place to cut)" if typical else "")]
    if head > HEAD_SHARE:
        notes.append(f"note: the head holds {head:.0%} of the parameters (fully-connected layers on a "
                     f"{cost.stages[-1].size}x{cost.stages[-1].size} map); a global-average-pool head removes most")
    return notes


def concat_memory(st: Stage, c_in: int, size: int) -> int:
    """Elements a dense stage's concatenations hold per image in a plain forward pass: every layer's output is a
    new tensor of all the maps before it, so the total grows with the square of the depth."""
    return sum(c_out for _, c_out, _ in stage_layout(st, c_in)) * size * size


def _concat_notes(g: Genome, cost: Cost) -> list[str]:
    notes, branched, c, size = [], [], stem_channels(g), cost.stem.size
    for i, (st, out) in enumerate(zip(g.stages, cost.stages)):
        if BLOCK_FACTS[st.block].concat:
            kept = concat_memory(st, c, size)
            notes.append(f"info: stage {i} is a dense block (DenseNet: feature reuse, few parameters, suited to "
                         f"little data): {st.depth} layers concatenate {c} + {st.depth}x{st.width} = {st.blocks_out(c)}"
                         f" channels at {size}x{size}; their concatenations hold {kept:,} activations per image "
                         f"({kept * 4 / 2 ** 20:.1f} MiB at fp32, growing with the square of the depth)")
        elif BLOCK_FACTS[st.block].branches:
            branched.append(str(i))
        c, size = out.channels, out.size
    if branched:
        notes.append(f"info: stage{'s' if len(branched) > 1 else ''} {', '.join(branched)} "
                     f"{'are inception modules' if len(branched) > 1 else 'is an inception module'} (GoogLeNet: a "
                     "1x1, two reduced k x k and a pooled branch side by side see several scales at once, for objects "
                     "of varying size; the 1x1 reductions keep the k x k branches cheap)")
    return notes


def design_notes(g: Genome, cost: Cost) -> list[str]:
    """Plain-language notes on where the genome follows or breaks the classic design rules."""
    return [_rf_note(cost), *_width_notes(g, cost), *_level_notes(cost), *_skip_note(g), *_params_note(cost),
            *_concat_notes(g, cost)]


def rules_ok(notes: list[str]) -> bool:
    """Whether a genome's notes break no rule (only ok/info lines)."""
    return not any(n.startswith("note:") for n in notes)
