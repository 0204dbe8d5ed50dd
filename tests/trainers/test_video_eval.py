"""Multi-view test helpers: view averaging, per-modality, subset-sum and oracle accuracies."""

from __future__ import annotations

import torch

from actionkit.trainers.video_eval import average_views, ensemble_accuracies


def test_average_views_is_the_mean_of_softmaxes_in_chunks():
    torch.manual_seed(0)
    weight = torch.randn(3 * 2 * 4 * 4, 5)

    def fn(x):
        return x.flatten(1) @ weight

    views = torch.randn(2, 7, 3, 2, 4, 4)  # 2 videos x 7 views
    got = average_views(fn, views, chunk=3)
    expected = torch.stack([torch.softmax(fn(views[b]), dim=1).mean(0) for b in range(2)])
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(average_views(fn, views[:, 0]), torch.softmax(fn(views[:, 0]), dim=1))


def test_ensemble_accuracies_by_hand():
    labels = torch.tensor([0, 1, 2, 0])
    probs = {
        "rgb": torch.tensor([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.2, 0.5, 0.3], [0.2, 0.7, 0.1]]),
        "depth": torch.tensor([[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.5, 0.2, 0.3], [0.4, 0.5, 0.1]]),
        "flow": torch.tensor([[0.5, 0.4, 0.1], [0.4, 0.3, 0.3], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]]),
    }
    out = ensemble_accuracies(probs, labels)
    # rgb right on video 0; depth on 1; flow on 0 and 2; nobody on 3.
    assert out["acc_rgb"] == 0.25 and out["acc_depth"] == 0.25 and out["acc_flow"] == 0.5
    # rgb+depth sums: [0.7,1.1,0.2] wrong, [0.6,1.2,0.2] right, [0.7,0.7,0.6] tie -> class 0 wrong,
    # [0.6,1.2,0.2] wrong.
    assert out["acc_rgb+depth"] == 0.25
    # all three: [1.2,1.5,0.3] wrong, [1.0,1.5,0.5] right, [0.8,0.8,1.4] right, [0.9,1.8,0.3] wrong.
    assert out["acc_sum"] == 0.5
    assert out["acc_oracle"] == 0.75
    assert "acc_rgb+depth+flow" not in out
