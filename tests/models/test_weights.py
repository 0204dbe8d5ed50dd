"""Loading local checkpoints into backbones."""

from __future__ import annotations

import pytest
import torch

from actionkit.layouts import NTU25
from actionkit.models import build_backbone, load_weights

SMALL = {"channels": (8, 8, 16), "strides": (1, 2, 1)}


def _pair():
    torch.manual_seed(0)
    a = build_backbone("stgcn", NTU25, **SMALL)
    torch.manual_seed(1)
    b = build_backbone("stgcn", NTU25, **SMALL)
    with torch.no_grad():  # make BN buffers differ too
        a.data_bn.running_mean.uniform_()
    return a.eval(), b.eval()


@pytest.mark.parametrize("wrap", ["plain", "model", "state_dict", "encoder", "nested"])
def test_round_trip(tmp_path, wrap):
    a, b = _pair()
    state = a.state_dict()
    obj = {
        "plain": state,
        "model": {"model": state, "epoch": 3},
        "state_dict": {"state_dict": state},
        "encoder": {"encoder": state, "optimizer": {}},
        "nested": {"model": {"state_dict": state}},
    }[wrap]
    path = tmp_path / "ckpt.pt"
    torch.save(obj, path)
    x = torch.randn(2, 3, 8, 25, 2)
    with torch.no_grad():
        assert not torch.allclose(a(x), b(x))
        result = load_weights(b, path)
        torch.testing.assert_close(a(x), b(x))
    assert not result.missing and not result.unexpected
    assert len(result.loaded) == len(state)


def test_prefix_and_ddp_keys(tmp_path):
    a, b = _pair()
    moco = {f"module.encoder_q.{k}": v for k, v in a.state_dict().items()}
    moco.update({f"module.encoder_k.{k}": v for k, v in a.state_dict().items()})
    moco["module.queue"] = torch.zeros(4, 4)
    path = tmp_path / "moco.pt"
    torch.save({"state_dict": moco}, path)
    with pytest.raises(ValueError, match="prefix") as err:
        load_weights(b, path)
    assert "encoder_q." in str(err.value) and str(path) in str(err.value)
    load_weights(b, path, prefix="encoder_q.")
    x = torch.randn(1, 3, 8, 25, 2)
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))
    with pytest.raises(ValueError, match="no key starts with prefix"):
        load_weights(b, path, prefix="decoder.")


def test_checkpoint_from_another_backbone_fails_clearly(tmp_path):
    gru = build_backbone("gru", NTU25, hidden_size=8, num_layers=1)
    path = tmp_path / "gru.pt"
    torch.save(gru.state_dict(), path)
    _, model = _pair()
    with pytest.raises(ValueError) as err:
        load_weights(model, path)
    message = str(err.value)
    assert str(path) in message and "STGCN" in message
    assert "missing keys" in message and "unexpected keys" in message
    assert "input_norm.weight" in message and "same backbone" in message


def test_shape_mismatch_fails_even_when_not_strict(tmp_path):
    wide = build_backbone("stgcn", NTU25, channels=(8, 8, 32), strides=(1, 2, 1))
    path = tmp_path / "wide.pt"
    torch.save(wide.state_dict(), path)
    _, model = _pair()
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"shape mismatches: .*\(checkpoint \(32"):
            load_weights(model, path, strict=strict)


def test_not_strict_reports_missing_and_unexpected(tmp_path):
    a, b = _pair()
    state = a.state_dict()
    state.pop("data_bn.weight")
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "partial.pt"
    torch.save(state, path)
    result = load_weights(b, path, strict=False)
    assert result.missing == ["data_bn.weight"] and result.unexpected == ["extra.weight"]


def test_bad_paths(tmp_path):
    _, model = _pair()
    with pytest.raises(FileNotFoundError, match="not found"):
        load_weights(model, tmp_path / "absent.pt")
    with pytest.raises(ValueError, match="local files only"):
        load_weights(model, "https://example.com/w.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt"):
        load_weights(model, junk)
    torch.save({"optimizer": {}}, tmp_path / "opt.pt")
    with pytest.raises(ValueError, match="no state dict found"):
        load_weights(model, tmp_path / "opt.pt")
