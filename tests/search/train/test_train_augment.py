import torch
import torch.nn.functional as F

from search.train import augment, cutout


def _distinct_batch(b=6, c=3, h=8, w=8) -> torch.Tensor:
    return torch.randperm(b * c * h * w).remainder(256).to(torch.uint8).view(b, c, h, w)  # (B, C, H, W)


def test_augment_is_a_crop_and_flip_of_the_same_image():
    x = _distinct_batch()
    gen = torch.Generator().manual_seed(0)
    out = augment(x, padding=2, flip=True, gen=gen)
    assert out.shape == x.shape and out.dtype == torch.uint8
    assert not torch.equal(out, x)
    padded = F.pad(x.float(), (2, 2, 2, 2), mode="reflect")
    for i in range(len(x)):  # each output is a window of its own padded image, maybe mirrored
        windows = [padded[i, :, dy:dy + 8, dx:dx + 8] for dy in range(5) for dx in range(5)]
        matches = [torch.equal(out[i].float(), win) or torch.equal(out[i].float(), win.flip(-1)) for win in windows]
        assert any(matches), i


def test_augment_flip_only_and_off():
    x = _distinct_batch(b=64)
    out = augment(x, padding=0, flip=True, gen=torch.Generator().manual_seed(1))
    same = [torch.equal(o, i) for o, i in zip(out, x)]
    mirrored = [torch.equal(o, i.flip(-1)) for o, i in zip(out, x)]
    assert all(s or m for s, m in zip(same, mirrored)) and 16 < sum(mirrored) < 48
    assert torch.equal(augment(x, padding=0, flip=False, gen=torch.Generator()), x)


def test_cutout_zeroes_a_clipped_square():
    x = torch.ones(200, 2, 16, 16)
    out = cutout(x, 6, torch.Generator().manual_seed(0))
    zeros = (out == 0).sum(dim=(2, 3))  # (B, C)
    assert (zeros[:, 0] == zeros[:, 1]).all()
    assert zeros.max() == 36 and zeros.min() >= 9  # whole 6x6 inside, at least 3x3 at a corner
    assert (zeros == 36).float().mean() > 0.4
