import math

import pytest

from search.train import (
    TrainConfig,
    at_chance,
    auto_batch_size,
    auto_recipe,
    chance_level,
    few_steps_warning,
    lr_at,
    scaled_lr,
)


def test_lr_schedules():
    total = 100
    onecycle = [lr_at(s, total, 1.0, 0.2, "onecycle") for s in range(total)]
    assert onecycle[0] == pytest.approx(0.05) and onecycle[19] == pytest.approx(1.0)
    assert max(onecycle) == pytest.approx(1.0) and onecycle[-1] == 0.0
    assert onecycle[59] == pytest.approx(0.5)  # halfway down the 80 falling steps
    cosine = [lr_at(s, total, 2.0, 0.1, "cosine") for s in range(total)]
    assert cosine[9] == pytest.approx(2.0) and cosine[54] == pytest.approx(1.0) and cosine[-1] == pytest.approx(0.0)
    assert all(a >= b for a, b in zip(cosine[9:], cosine[10:]))


@pytest.mark.parametrize("n_train, batch", [
    (45000, 256), (10000, 128), (5000, 64), (2000, 32),
    (12800, 256), (12799, 128),  # 12800 // 256 is exactly 50 steps
    (3200, 64), (3199, 32), (100, 32), (1, 32),
])
def test_auto_batch_size(n_train, batch):
    assert auto_batch_size(n_train) == batch


def test_auto_batch_size_refuses_no_images():
    with pytest.raises(ValueError, match="n_train"):
        auto_batch_size(0)


def test_scaled_lr_is_linear_down_to_batch_32():
    assert scaled_lr(256) == pytest.approx(0.2)
    assert scaled_lr(128) == pytest.approx(0.1)
    assert scaled_lr(32) == pytest.approx(0.025)
    assert scaled_lr(16) == pytest.approx(0.025) and scaled_lr(1) == pytest.approx(0.025)  # the floor
    assert scaled_lr(512) == pytest.approx(0.4)
    assert scaled_lr(64, base_lr=0.1, base_batch=128) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="batch_size"):
        scaled_lr(0)


def test_auto_recipe_follows_the_images_actually_trained_on():
    small = auto_recipe(TrainConfig(epochs=3), 1800)
    assert (small.batch_size, small.lr, small.epochs) == (32, pytest.approx(0.025), 3)
    capped = auto_recipe(TrainConfig(max_train_images=5000), 45000)
    assert (capped.batch_size, capped.lr) == (64, pytest.approx(0.05))
    big = auto_recipe(TrainConfig(lr=0.4), 45000)
    assert (big.batch_size, big.lr) == (256, pytest.approx(0.4))


def test_few_steps_warning_names_the_fix():
    text = few_steps_warning(2000, 256, 10)  # 7 steps an epoch
    assert text.startswith("only 70 optimiser steps (7 per epoch x 10 epochs, 2000 images at batch 256)")
    assert "--epochs 43" in text and "--batch-size" in text and "more data" in text and "\n" not in text
    assert few_steps_warning(100, 256, 3).startswith("only 3 optimiser steps (1 per epoch")  # one batch of all
    assert few_steps_warning(2000, 32, 5) is None  # 62 x 5 = 310
    assert few_steps_warning(2000, 32, 4) is not None  # 248
    assert few_steps_warning(45000, 256, 10) is None
    assert few_steps_warning(2000, 32, 4, minimum=248) is None


def test_chance_level():
    assert chance_level(10) == 0.1 and chance_level(2) == 0.5 and chance_level(1) == 1.0
    with pytest.raises(ValueError, match="num_classes"):
        chance_level(0)


def test_at_chance_uses_the_binomial_noise_of_the_validation_split():
    # 10 classes, 200 images: 0.1 + 3 * sqrt(0.1 * 0.9 / 200) = 0.1 + 3 * 0.02121 = 0.16364
    assert at_chance(0.16, 10, 200) and not at_chance(0.17, 10, 200)
    assert at_chance(0.05, 10, 200)  # below chance, but within the noise: 0.1 - 0.06364 = 0.03636
    assert not at_chance(0.03, 10, 200)  # beyond the noise below chance: not "at chance"
    assert not at_chance(0.05, 2, 100)  # 2 classes: 0.05 is 9 standard errors below 0.5, not chance
    # 2 classes, 100 images, z = 2: 0.5 + 2 * 0.05 = 0.6
    assert at_chance(0.59, 2, 100, z=2.0) and not at_chance(0.61, 2, 100, z=2.0)
    # 10 classes, 5000 images: 0.1 + 3 * 0.004243 = 0.11273
    assert at_chance(0.112, 10, 5000) and not at_chance(0.114, 10, 5000)
    assert math.isclose(0.1 + 3 * math.sqrt(0.09 / 5000), 0.112728, abs_tol=1e-6)
    with pytest.raises(ValueError, match="n_val"):
        at_chance(0.5, 10, 0)
