"""`wstal import cmcs`: each released THUMOS'14 checkpoint, imported, computes what the released network
computes (an independent re-implementation written here from the network's description), and the run
is scored by `wstal evaluate --run` on the mock CMCS layout. Bad checkpoints fail in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from tests.mockdata.cmcs_layout import CMCS_MODELS, make_mock_cmcs_layout, pick_videos, shared_available
from wstal.cli import main
from wstal.data.cmcs_layout import prepare_cmcs_source
from wstal.data.io import load_dataset
from wstal.methods.base import config_from_dict
from wstal.methods.cmcs import CMCS, CMCSConfig
from wstal.train import load_checkpoint

pytestmark = pytest.mark.skipif(not (shared_available() and CMCS_MODELS.is_dir()),
                                reason="CMCS released checkpoints / real annotations not found")

RUNS = {"unt": ("trained-thumos-UNT-run-0", 7500), "i3d": ("trained-thumos-I3D-run-0", 15000)}


class ReleasedNetwork(nn.Module):
    """The released CMCS network as described: 1x1 base conv + ReLU; K branches of a k=3 conv + ReLU and a
    per-time linear head; attention = k=1 conv + ReLU, linear head, softmax over time; video logits =
    attention-weighted sum of the branch-averaged CAS. Parameter names are the released ones."""

    def __init__(self, width: int, branches: int = 4, outputs: int = 21):
        super().__init__()
        self.base = nn.Module()
        self.base.base_conv_0 = nn.Conv1d(width, 32, 1)
        self.cls_bottoms = nn.ModuleList()
        for k in range(branches):
            bottom = nn.Module()
            setattr(bottom, f"cls_b{k}_conv_0", nn.Conv1d(32, 16, 3, padding=1))
            self.cls_bottoms.append(bottom)
        self.cls_heads = nn.ModuleList([nn.Linear(16, outputs) for _ in range(branches)])
        self.att_bottom = nn.Module()
        self.att_bottom.att_conv_0 = nn.Conv1d(32, 16, 1)
        self.att_head = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """x [B crops, T, D] -> outputs of every crop (batched, unlike our per-crop loop)."""
        h = torch.relu(self.base.base_conv_0(x.transpose(1, 2)))  # [B, 32, T]
        branch = []
        for k, (bottom, head) in enumerate(zip(self.cls_bottoms, self.cls_heads)):
            hidden = torch.relu(getattr(bottom, f"cls_b{k}_conv_0")(h)).transpose(1, 2)  # [B, T, 16]
            branch.append(head(hidden))  # [B, T, 21]
        branch_logits = torch.stack(branch, dim=1)  # [B, K, T, 21]
        cas = branch_logits.mean(dim=1)
        att_hidden = torch.relu(self.att_bottom.att_conv_0(h)).transpose(1, 2)
        attention = torch.softmax(self.att_head(att_hidden).squeeze(-1), dim=1)  # [B, T]
        video = (attention.unsqueeze(-1) * cas).sum(dim=1)
        return {"branch_logits": branch_logits, "cas": cas, "attention": attention, "video_logits": video}


def released_outputs(files: dict[str, Path], crops: torch.Tensor) -> dict[str, torch.Tensor]:
    """Crop-averaged outputs of the released model(s); rgb + flow files = late fusion (averaged)."""
    outs = []
    for stream, path in files.items():
        x = {"both": crops, "rgb": crops[..., :1024], "flow": crops[..., 1024:]}[stream]
        net = ReleasedNetwork(x.shape[-1])
        net.load_state_dict(torch.load(path, weights_only=True))
        net.eval()
        with torch.no_grad():
            outs.append({k: v.mean(dim=0) for k, v in net(x).items()})
    return {k: torch.stack([o[k] for o in outs]).mean(dim=0) for k in outs[0]}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmcs-import")
    mock = make_mock_cmcs_layout(root, videos=pick_videos(2), length_scale=0.03)
    out = {}
    for kind in ("unt", "i3d"):
        out[kind] = root / f"prepared-{kind}"
        prepare_cmcs_source(kind, mock.features_root, mock.annotations_dir, mock.meta_dir, out[kind])
    return out


def _load_run(run: Path, data: Path):
    ckpt = load_checkpoint(run / "model.pt")
    config = config_from_dict(CMCSConfig, ckpt["config"], "test")
    method = CMCS(config, load_dataset(data))
    model = method.build_model()
    model.load_state_dict(ckpt["model"])
    return method, model


CASES = [(kind, stream) for kind in ("unt", "i3d") for stream in ("both", "rgb", "flow")] + [
    ("unt", "late"), ("i3d", "late")]


@pytest.mark.parametrize("kind,stream", CASES)
def test_imported_checkpoint_computes_the_released_network(prepared, tmp_path, kind, stream):
    folder, step = RUNS[kind]
    path = CMCS_MODELS / folder if stream == "late" else CMCS_MODELS / folder / f"model-{stream}-{step}"
    files = ({"rgb": path / f"model-rgb-{step}", "flow": path / f"model-flow-{step}"} if stream == "late"
             else {stream: path})
    run = tmp_path / "run"
    assert main(["import", "cmcs", str(path), "--out", str(run), "--data", str(prepared[kind])]) == 0
    info = json.loads((run / "config.json").read_text())
    assert info["released_config"] == {"unt": "thumos-UNT", "i3d": "thumos-I3D"}[kind]
    assert info["config"]["modality"] == {"both": "early", "rgb": "rgb", "flow": "flow", "late": "late"}[stream]
    assert info["config"]["sample_rate"] == {"unt": 15, "i3d": 16}[kind]
    method, model = _load_run(run, prepared[kind])
    for video in method.dataset.test_videos:
        base = torch.from_numpy(video.crops.load())
        expected = released_outputs(files, base[:, :: {"unt": 3, "i3d": 4}[kind]])
        got = method.infer(model, video, "default")
        for key in ("cas", "attention", "video_logits", "branch_logits"):
            np.testing.assert_allclose(got[key], expected[key].numpy(), rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("kind,stream", [("unt", "both"), ("i3d", "late")])
def test_evaluate_run_scores_an_imported_checkpoint(prepared, tmp_path, capsys, kind, stream):
    folder, step = RUNS[kind]
    path = CMCS_MODELS / folder if stream == "late" else CMCS_MODELS / folder / f"model-{stream}-{step}"
    run = tmp_path / "run"
    assert main(["import", "cmcs", str(path), "--out", str(run)]) == 0
    assert main(["evaluate", "--run", str(run), "--annotations", str(prepared[kind])]) == 0
    metrics = json.loads((run / "default" / "metrics.json").read_text())
    assert metrics["protocol"] == "th14" and metrics["method"] == "cmcs"
    assert metrics["experiment"] == {"unt": "cmcs_full", "i3d": "cmcs_full_i3d"}[kind]
    assert metrics["num_videos"] == 2 and metrics["num_ground_truth"] > 0
    predictions = json.loads((run / "default" / "predictions.json").read_text())
    assert sorted(predictions["results"]) == [v for v in pick_videos(2) if v.startswith("video_test_")]


def _fake_checkpoint(tmp_path: Path, change) -> Path:
    folder, step = RUNS["unt"]
    state = torch.load(CMCS_MODELS / folder / f"model-rgb-{step}", weights_only=True)
    change(state)
    path = tmp_path / "trained-thumos-UNT-run-0" / f"model-rgb-{step}"
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    return path


def _run_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("wstal: error: ") and "\n" not in err
    return err


@pytest.mark.parametrize("change,problem", [
    (lambda s: s.pop("att_head.bias"), "missing parameter 'att_head.bias'"),
    (lambda s: s.update(extra=torch.zeros(1)), "unexpected parameter 'extra'"),
    (lambda s: s.update({"cls_heads.0.weight": torch.zeros(20, 16)}), "'cls_heads.0.weight' has shape (20, 16)"),
    (lambda s: s.update({"base.base_conv_0.weight": torch.zeros(32, 2048, 1)}), "has shape (32, 2048, 1)"),
])
def test_a_mismatching_checkpoint_is_a_one_line_error(tmp_path, capsys, change, problem):
    path = _fake_checkpoint(tmp_path, change)
    err = _run_error(capsys, ["import", "cmcs", str(path), "--out", str(tmp_path / "run")])
    assert problem in err and str(path) in err
    assert not (tmp_path / "run").exists()


def test_bad_paths_and_undetectable_configs_are_one_line_errors(tmp_path, capsys):
    folder, step = RUNS["unt"]
    err = _run_error(capsys, ["import", "cmcs", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")])
    assert "not found" in err
    other = tmp_path / "weights.pt"
    other.write_bytes(b"x")
    assert "not a released CMCS checkpoint name" in _run_error(
        capsys, ["import", "cmcs", str(other), "--out", str(tmp_path / "r")])
    only_rgb = tmp_path / "only-rgb"
    only_rgb.mkdir()
    shutil.copy(CMCS_MODELS / folder / f"model-rgb-{step}", only_rgb / f"model-rgb-{step}")
    assert "no model-flow-<step>" in _run_error(capsys, ["import", "cmcs", str(only_rgb), "--out", str(tmp_path / "r")])
    odd = tmp_path / "plain"
    odd.mkdir()
    shutil.copy(CMCS_MODELS / folder / f"model-rgb-{step}", odd / "model-rgb-1234")
    assert "give --config" in _run_error(capsys, ["import", "cmcs", str(odd / "model-rgb-1234"), "--out",
                                                  str(tmp_path / "r")])
    # with --config it imports, and the step of the file becomes the run's step
    assert main(["import", "cmcs", str(odd / "model-rgb-1234"), "--out", str(tmp_path / "r"),
                 "--config", "thumos-UNT"]) == 0
    assert load_checkpoint(tmp_path / "r" / "model.pt")["step"] == 1234
    err = _run_error(capsys, ["evaluate", "--run", str(tmp_path / "r")])
    assert "no dataset recorded" in err


def test_import_does_not_overwrite_a_trained_run(tmp_path, capsys):
    folder, step = RUNS["unt"]
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"format": "wstal-checkpoint", "method": "cmcs"}, run / "model.pt")
    err = _run_error(capsys, ["import", "cmcs", str(CMCS_MODELS / folder / f"model-both-{step}"), "--out", str(run)])
    assert "holds a trained run" in err


# ------------------------------------------------------------------ the released model finds planted actions


SHORT = ["video_validation_0000190", "video_validation_0000854", "video_test_0000062", "video_test_0000698",
         "video_test_0001433"]  # the shortest annotated videos: full length (no scaling), so GT times hold


def _planted_vector(nets: dict[str, ReleasedNetwork], target: int) -> torch.Tensor:
    """A non-negative 2048-d feature the released model(s) label `target` at every snippet (gradient ascent);
    rgb + flow networks are late-fused (their CAS averaged), as the import does."""
    torch.manual_seed(target)
    w = torch.zeros(2048, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.05)
    halves = {"both": slice(0, 2048), "rgb": slice(0, 1024), "flow": slice(1024, 2048)}
    for _ in range(150):
        x = torch.nn.functional.softplus(w).expand(1, 7, 2048)
        cas = torch.stack([net(x[..., halves[s]])["cas"][0, 3] for s, net in nets.items()]).mean(0)
        loss = -torch.log_softmax(cas, dim=-1)[target]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return torch.nn.functional.softplus(w).detach()


@pytest.mark.parametrize("kind,stream", [("unt", "both"), ("i3d", "late")])
def test_released_model_localizes_actions_planted_for_it(tmp_path, kind, stream):
    """Features the released network reads as the GT class inside GT segments (background elsewhere), at the
    real lengths: importing + `wstal evaluate --run` must find them (a wrong frame grid, fps, sample rate or
    crop handling would misplace every detection)."""
    from tests.mockdata.cmcs_layout import official_videos, read_meta

    folder, step = RUNS[kind]
    path = CMCS_MODELS / folder if stream == "late" else CMCS_MODELS / folder / f"model-{stream}-{step}"
    files = ({"rgb": path / f"model-rgb-{step}", "flow": path / f"model-flow-{step}"} if stream == "late"
             else {stream: path})
    nets = {}
    for name, file in files.items():
        nets[name] = ReleasedNetwork(2048 if name == "both" else 1024)
        nets[name].load_state_dict(torch.load(file, weights_only=True))
    mock = make_mock_cmcs_layout(tmp_path / "layout", kinds=(kind,), videos=SHORT, length_scale=1.0)
    classes = sorted({c for rows in official_videos().values() for c, _, _ in rows})
    gt, meta = official_videos(), read_meta()
    needed = {classes.index(label) for name in SHORT for label, _, _ in gt[name]} | {20}
    vectors = {c: _planted_vector(nets, c).numpy() for c in sorted(needed)}
    for name in SHORT:
        subset = "val" if name.startswith("video_validation_") else "test"
        frames, fps = mock.frame_cnt[name], meta[name][0]
        # UNT: one feature every 5 frames from frame 0; I3D: a 16-frame chunk starting every 4 frames
        length = -(-frames // 5) if kind == "unt" else (frames - 16) // 4 + 1
        times = np.arange(length) * (5 if kind == "unt" else 4) / fps
        x = np.repeat(vectors[20][None], length, axis=0)
        for label, start, end in gt[name]:
            x[(times >= start) & (times < end)] = vectors[classes.index(label)]
        for half, s in enumerate(("rgb", "flow")):
            crops = np.repeat(x[None, :, half * 1024:(half + 1) * 1024], 10, axis=0).astype(np.float32)
            if kind == "unt":
                sub = f"UNTRI-5/untri-thumos14-{subset}-{s}-oversample-step5"
                file = mock.features_root / sub / f"{name}-{s}.npz"
                np.savez(file, feature=crops.swapaxes(0, 1)[..., None, None], frame_cnt=np.int64(frames))
            else:
                file = mock.features_root / f"I3D-4/thumos-{subset}-{s}-oversample" / f"{name}-{s}.npz"
                np.savez(file, feature=crops, frame_cnt=np.int64(frames))
    data = tmp_path / "prepared"
    prepare_cmcs_source(kind, mock.features_root, mock.annotations_dir, mock.meta_dir, data)
    run = tmp_path / "run"
    assert main(["import", "cmcs", str(path), "--out", str(run), "--data", str(data)]) == 0
    assert main(["evaluate", "--run", str(run)]) == 0
    metrics = json.loads((run / "default" / "metrics.json").read_text())
    assert metrics["num_detections"] >= 4  # 4 GT segments in the three test videos
    assert min(metrics["map"][:5]) >= 90.0, metrics["map"]  # mAP@0.1..0.5
