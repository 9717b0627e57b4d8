"""The genome: a frozen, validated, JSON round-trippable description of a CNN.

A network is a stem, a tuple of stages and a head. Each stage repeats one block type
``depth`` times; its first block carries the stage's stride and width change. The genome
holds primitives only (ints, floats, strings, tuples), so it hashes, compares and
serialises; the one-line string from :func:`space.render.arch_string` is a rendering of it, never parsed
back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .facts import (BLOCK_FACTS, BLOCK_KINDS, BlockFacts, bottleneck_inner,  # noqa: F401 (re-exported)
                    compressed, concatenated)

STEM_KINDS = ("resnet", "conv3x3", "cifar", "deep", "patchify", "inception", "none")
ACTIVATIONS = ("relu", "relu6", "silu", "hardswish", "gelu")
KERNELS = (3, 5, 7)
STRIDES = (1, 2)
# stride: the first block is strided; maxpool: 2x2 max-pool after the stage (VGG); maxpool3: 3x3/2 max-pool after
# the stage (GoogLeNet); transition: BN-act-1x1 compression by COMPRESSION then 2x2 average pool (DenseNet)
DOWNSAMPLES = ("stride", "maxpool", "maxpool3", "transition")
SHORTCUTS = ("projection", "zeropad")
FLOOR_HALVING = ("maxpool", "transition")  # their 2x2 windows floor an odd size; strides and 3x3/2 pools ceil it
MIN_STAGES, MAX_STAGES = 1, 12  # GoogLeNet's nine inception modules are nine stages


def halved(size: int, downsample: str) -> int:
    """The side of a ``size`` map after a stride-2 stage of this downsample mode."""
    return size // 2 if downsample in FLOOR_HALVING else (size + 1) // 2


class GenomeError(ValueError):
    """A genome field holds a value outside what the design space allows."""


def _check(ok: bool, where: str, message: str) -> None:
    if not ok:
        raise GenomeError(f"{where}: {message}")


def _positive_int(value: Any, where: str) -> None:
    _check(isinstance(value, int) and not isinstance(value, bool) and value >= 1, where,
           f"must be a whole number >= 1, got {value!r}")


def _one_of(value: Any, allowed: tuple, where: str) -> None:
    _check(value in allowed, where, f"must be one of {', '.join(map(str, allowed))}; got {value!r}")


@dataclass(frozen=True)
class Stem:
    """The layers before the first stage."""

    kind: str = "conv3x3"  # resnet: 7x7/2 conv + 3x3/2 max-pool; conv3x3: 3x3/2; cifar: 3x3/1;
    #                        deep: three 3x3 convs (first /2) + 3x3/2 max-pool (ResNet-C);
    #                        patchify: k x k/k conv (ConvNeXt); none: no stem (VGG)
    width: int = 32  # output channels (ignored by "none", whose output is the input image)
    patch: int = 4  # patch size k of the patchify stem (ignored by the other kinds)

    def __post_init__(self) -> None:
        _one_of(self.kind, STEM_KINDS, "stem.kind")
        _positive_int(self.width, "stem.width")
        _positive_int(self.patch, "stem.patch")


@dataclass(frozen=True)
class Stage:
    """``depth`` blocks of one type at one resolution; the first block changes width and stride."""

    block: str  # plain | basic | bottleneck | mbconv | dwsep | dense | inception
    depth: int  # number of blocks (a dense stage's layers)
    width: int  # output channels of every block; a dense block's growth rate k (it adds k to its input)
    stride: int = 1  # 1 keeps resolution, 2 halves it
    kernel: int = 3  # spatial kernel of the block's k x k (or depthwise) convs: 3, 5 or 7
    expansion: float = 1.0  # mbconv: inner = in * e; bottleneck: inner = width / e (4 in ResNet); dense: 1x1 to
    #                         width * e (4 in DenseNet-BC); others 1
    se: float = 0.0  # squeeze-and-excitation ratio, 0 = off (mbconv: of the block input, else of the SE'd width)
    downsample: str = "stride"  # stride: first block is strided; or after the stage: maxpool (2x2, VGG), maxpool3
    #                             (3x3/2, GoogLeNet), transition (BN-act-1x1 to half the channels, 2x2 avg, DenseNet)
    shortcut: str = "projection"  # when shapes change: 1x1 conv + BN, or zeropad (parameter-free, CIFAR ResNet)
    group_width: int = 0  # bottleneck: channels per group of its k x k conv (RegNet's g), 0 = one group
    branches: tuple[int, ...] = ()  # inception: (1x1, kxk reduce, kxk, kxk reduce, kxk, pool proj) widths as
    #                                 torchvision's Inception takes them; () = GoogLeNet 3a's shares of width

    def __post_init__(self) -> None:
        object.__setattr__(self, "branches", tuple(self.branches))
        _one_of(self.block, BLOCK_KINDS, "stage.block")
        _positive_int(self.depth, "stage.depth")
        _positive_int(self.width, "stage.width")
        _one_of(self.stride, STRIDES, "stage.stride")
        _one_of(self.kernel, KERNELS, "stage.kernel")
        _check(isinstance(self.expansion, (int, float)) and not isinstance(self.expansion, bool)
               and 1 <= self.expansion <= 8, "stage.expansion", f"must be between 1 and 8, got {self.expansion!r}")
        facts = BLOCK_FACTS[self.block]
        _check(facts.expands or self.expansion == 1, "stage.expansion",
               f"{self.block} blocks take no expansion (1), got {self.expansion!r}")
        _check(isinstance(self.se, (int, float)) and not isinstance(self.se, bool) and 0 <= self.se <= 1,
               "stage.se", f"SE ratio must be 0 (off) or in (0, 1], got {self.se!r}")
        _one_of(self.downsample, DOWNSAMPLES, "stage.downsample")
        _check(not (facts.downsample != "stride" and self.stride == 2 and self.downsample == "stride"),
               "stage.downsample", f"{self.block} blocks concatenate maps of one size, so they do not stride: a stage "
               f"of them halves the resolution after its blocks ({facts.downsample}, or maxpool, maxpool3)")
        _check(facts.concat or self.downsample != "transition", "stage.downsample",
               f"a transition compresses a concatenation: only dense stages take one, not {self.block}")
        self._check_branches(facts.branches)
        _one_of(self.shortcut, SHORTCUTS, "stage.shortcut")
        _check(isinstance(self.group_width, int) and not isinstance(self.group_width, bool) and self.group_width >= 0,
               "stage.group_width", f"must be 0 (one group) or a whole number of channels, got {self.group_width!r}")
        if self.group_width:
            _check(facts.grouped, "stage.group_width",
                   f"only bottleneck blocks have a grouped conv; {self.block} takes 0, got {self.group_width}")
            inner = facts.inner_width(self.width, self.width, self.expansion)
            _check(inner % self.group_width == 0, "stage.group_width",
                   f"the {inner}-channel inner conv does not split into groups of {self.group_width}")

    def _check_branches(self, count: int) -> None:
        if not count:
            _check(not self.branches, "stage.branches", f"only inception blocks take branch widths, not {self.block}")
            return
        if self.branches:
            _check(len(self.branches) == count and all(isinstance(b, int) and not isinstance(b, bool) and b >= 1
                                                        for b in self.branches), "stage.branches",
                   f"must be {count} whole numbers >= 1 (1x1, kxk reduce, kxk, kxk reduce, kxk, pool proj), "
                   f"got {list(self.branches)}")
            b1, _, b3, _, b5, pool = self.branches
            _check(concatenated(self.branches) == self.width, "stage.width",
                   f"an inception stage's width is its concatenated branches {b1}+{b3}+{b5}+{pool} = "
                   f"{concatenated(self.branches)}, got {self.width}")
        else:
            _check(self.width >= 8, "stage.width", f"an inception stage splits its width into four branches "
                                                   f"(1/4, 1/2, 1/8, the rest): at least 8, got {self.width}")

    @property
    def groups(self) -> int:
        """Groups of the block's k x k conv (1 unless group_width is set)."""
        return bottleneck_inner(self.width, self.expansion) // self.group_width if self.group_width else 1

    @property
    def pools_after(self) -> bool:
        """Whether the stage halves the resolution after its blocks (a pool or a transition) rather than in them."""
        return self.downsample != "stride" and self.stride == 2

    @property
    def transition(self) -> bool:
        """Whether DenseNet's transition (BN-act-1x1 compression, 2x2 average pool) follows the stage's blocks."""
        return self.pools_after and self.downsample == "transition"

    def blocks_out(self, c_in: int) -> int:
        """Channels out of the stage's last block from ``c_in``: its width, or a dense stage's concatenation."""
        return c_in + self.depth * self.width if BLOCK_FACTS[self.block].concat else self.width

    def out_channels(self, c_in: int) -> int:
        """Channels the stage hands on from ``c_in``: :meth:`blocks_out`, compressed by a transition."""
        c = self.blocks_out(c_in)
        return compressed(c) if self.transition else c


@dataclass(frozen=True)
class Head:
    """Pooling, optional 1x1 conv and fully-connected layers, and the classifier."""

    conv_width: int = 0  # 1x1 conv + BN + act before pooling (1280 in MobileNetV2), 0 = none
    pool: int = 1  # adaptive average pool to pool x pool before flatten: 1 = GAP, 7 = VGG's flatten head
    hidden: tuple[int, ...] = ()  # widths of fully-connected layers (linear + act + dropout) before the classifier
    dropout: float = 0.0  # dropout probability before the classifier (after each hidden layer if any)

    def __post_init__(self) -> None:
        _check(isinstance(self.conv_width, int) and self.conv_width >= 0, "head.conv_width",
               f"must be 0 (none) or a positive width, got {self.conv_width!r}")
        _positive_int(self.pool, "head.pool")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for i, h in enumerate(self.hidden):
            _positive_int(h, f"head.hidden[{i}]")
        _check(isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1, "head.dropout",
               f"must be in [0, 1), got {self.dropout!r}")


@dataclass(frozen=True)
class Genome:
    """A whole network: stem, stages, head, activation, and the input it is meant for."""

    stages: tuple[Stage, ...]
    stem: Stem = field(default_factory=Stem)
    head: Head = field(default_factory=Head)
    activation: str = "relu"  # relu | relu6 | silu | hardswish | gelu, used everywhere but SE gates
    resolution: int = 224  # input height = width in pixels
    in_channels: int = 3
    num_classes: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        _check(MIN_STAGES <= len(self.stages) <= MAX_STAGES, "stages",
               f"a genome has {MIN_STAGES} to {MAX_STAGES} stages, got {len(self.stages)}")
        for s in self.stages:
            _check(isinstance(s, Stage), "stages", f"every stage must be a Stage, got {type(s).__name__}")
        _one_of(self.activation, ACTIVATIONS, "activation")
        _positive_int(self.resolution, "resolution")
        _positive_int(self.in_channels, "in_channels")
        _positive_int(self.num_classes, "num_classes")
        _check(self.num_classes >= 2, "num_classes", f"a classifier needs >= 2 classes, got {self.num_classes}")

    def replace(self, **changes: Any) -> "Genome":
        """A copy with some top-level fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict; :meth:`from_dict` inverts it."""
        d = asdict(self)
        d["stages"] = [dict(s, branches=list(s["branches"])) for s in d["stages"]]
        d["head"]["hidden"] = list(d["head"]["hidden"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Genome":
        """Build a genome from a dict, naming the field of any unknown or bad entry."""
        _check(isinstance(d, dict), "genome", f"must be a JSON object, got {type(d).__name__}")
        _known(d, cls, "genome")
        _check("stages" in d, "genome", "missing the field 'stages'")
        _check(isinstance(d["stages"], list), "stages", "must be a list of stage objects")
        stages = []
        for i, s in enumerate(d["stages"]):
            _check(isinstance(s, dict), f"stages[{i}]", "must be an object")
            _known(s, Stage, f"stages[{i}]")
            try:
                stages.append(Stage(**s))
            except TypeError as e:  # a required field is missing
                raise GenomeError(f"stages[{i}]: {e}") from None
        parts: dict[str, Any] = {k: v for k, v in d.items() if k not in ("stages", "stem", "head")}
        for key, kind in (("stem", Stem), ("head", Head)):
            if key in d:
                _check(isinstance(d[key], dict), key, "must be an object")
                _known(d[key], kind, key)
                parts[key] = kind(**d[key])
        return cls(stages=tuple(stages), **parts)

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> "Genome":
        """Parse JSON text into a genome."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise GenomeError(f"genome JSON is malformed: {e.msg} at line {e.lineno} column {e.colno}") from None
        return cls.from_dict(d)


def _known(d: dict, kind: type, where: str) -> None:
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise GenomeError(f"{where}: unknown field {unknown[0]!r}; known fields: {', '.join(sorted(names))}")


def load_genome(path: str | Path) -> Genome:
    """Read a genome JSON file (the ``genome`` key of a larger object is accepted too)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise GenomeError(f"cannot read genome file {str(p)!r}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise GenomeError(f"{p}: not a genome JSON file (not UTF-8 text: binary data?)") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise GenomeError(f"{p}: malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if isinstance(d, dict) and "genome" in d and "stages" not in d:
        d = d["genome"]
    return Genome.from_dict(d)
