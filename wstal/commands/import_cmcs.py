"""`wstal import cmcs PATH --out RUN_DIR`: the CMCS authors' released checkpoint as a run folder.

PATH is a released `model-{both,rgb,flow}-N` file (early fusion, RGB or flow model) or a
folder holding `model-rgb-N` and `model-flow-N` (late fusion: the two models' outputs
averaged). The run folder (`config.json` + `model.pt`) is then scored like one of ours:
`wstal evaluate --run RUN_DIR [--annotations PREPARED_DATA]`. The config is the released
thumos-UNT or thumos-I3D one: `--config`, else the folder name (`...-UNT-...`/`...-I3D-...`),
else the step count (7500 UNT, 15000 I3D).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from wstal.errors import ConfigError, DataError

FILE_NAME = re.compile(r"^model-(both|rgb|flow)-(\d+)$")
NUM_OUTPUTS = 21  # 20 THUMOS'14 classes + background
FEATURE_WIDTH = 2048  # the dataset's RGB | flow width; single-stream models read their half


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", choices=("cmcs",), help="whose checkpoints (cmcs: the CMCS authors' release)")
    parser.add_argument("path", type=Path,
                        help="model-{both,rgb,flow}-N, or a folder with model-rgb-N and model-flow-N (late fusion)")
    parser.add_argument("--out", type=Path, required=True, help="run folder to write (config.json, model.pt)")
    parser.add_argument("--config", choices=("thumos-UNT", "thumos-I3D"), default=None,
                        help="released config (default: from the folder name, else from the step count)")
    parser.add_argument("--data", type=Path, default=None,
                        help="prepared dataset the run evaluates on by default (wstal prepare --source cmcs-unt/i3d)")


def find_checkpoints(path: Path) -> tuple[str, int, dict[str, Path]]:
    """(our modality, step, released stream -> file) of a file or a late-fusion folder."""
    path = Path(path)
    if path.is_file():
        match = FILE_NAME.match(path.name)
        if match is None:
            raise DataError(path, "not a released CMCS checkpoint name (expected model-{both,rgb,flow}-<step>)")
        from wstal.methods.cmcs_released import FILE_STREAMS

        return FILE_STREAMS[match.group(1)], int(match.group(2)), {match.group(1): path}
    if not path.is_dir():
        raise DataError(path, "checkpoint file or folder not found")
    found: dict[str, list[tuple[int, Path]]] = {}
    for child in sorted(path.iterdir()):
        match = FILE_NAME.match(child.name)
        if match and child.is_file():
            found.setdefault(match.group(1), []).append((int(match.group(2)), child))
    for stream in ("rgb", "flow"):
        if stream not in found:
            raise DataError(path, f"no model-{stream}-<step> in the folder (late fusion needs the rgb and flow models)")
        if len(found[stream]) > 1:
            raise DataError(path, f"several model-{stream}-<step> files; give one checkpoint file instead")
    (rgb_step, rgb), (flow_step, flow) = found["rgb"][0], found["flow"][0]
    if rgb_step != flow_step:
        raise DataError(path, f"model-rgb-{rgb_step} and model-flow-{flow_step} are from different steps")
    return "late", rgb_step, {"rgb": rgb, "flow": flow}


def detect_config(path: Path, step: int, option: str | None):
    """The released config: the option, else a -UNT-/-I3D- folder name, else the step count."""
    from wstal.methods.cmcs_released import RELEASED

    if option is not None:
        return RELEASED.get(option)
    parts = Path(path).resolve().parts
    named = {name for name in ("thumos-UNT", "thumos-I3D") for part in parts if name in part}
    if len(named) == 1:
        return RELEASED.get(named.pop())
    by_step = {RELEASED.get(n).steps: n for n in ("thumos-UNT", "thumos-I3D")}
    if step in by_step and not named:
        return RELEASED.get(by_step[step])
    raise ConfigError(f"{path}: cannot tell the released config (thumos-UNT or thumos-I3D) from the path or the "
                      f"step {step}; give --config")


def import_released(path: Path, out: Path, config: str | None = None, data: Path | None = None) -> dict:
    """Write the run folder `out` for the released checkpoint(s) at `path`; return its config.json."""
    import torch

    from wstal.methods.base import config_to_dict
    from wstal.methods.cmcs import CMCSModel
    from wstal.methods.cmcs_released import STREAM_WIDTH, check_released, load_released, to_stream_state
    from wstal.run import RUN_CONFIG
    from wstal.train import CHECKPOINT, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, load_checkpoint
    from wstal.utils.atomic import atomic_write_bytes, atomic_write_json

    modality, step, files = find_checkpoints(path)
    released = detect_config(path, step, config)
    cfg = released.config(modality)
    cfg.train.steps = step
    state = {}
    for stream, file in files.items():
        weights = load_released(file)
        check_released(weights, STREAM_WIDTH[stream], cfg, NUM_OUTPUTS, file)
        ours = "early" if stream == "both" else stream
        state.update({f"streams.{ours}.{k}": v for k, v in to_stream_state(weights, cfg).items()})
    model = CMCSModel(FEATURE_WIDTH, NUM_OUTPUTS, cfg)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0][:160]
        raise DataError(path, f"weights do not fit the {released.name} model ({first})") from None
    out = Path(out)
    if (out / CHECKPOINT).exists() and not load_checkpoint(out / CHECKPOINT).get("released_checkpoint"):
        raise ConfigError(f"{out}: holds a trained run (model.pt); choose another --out")
    experiment = released.experiments[modality]
    origin = [str(Path(f).resolve()) for f in files.values()]
    checkpoint = {
        "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "method": "cmcs", "experiment": experiment,
        "seed": 0, "step": step, "total_steps": step, "config": config_to_dict(cfg), "model": model.state_dict(),
        "optimizer": {}, "best_on_test": None, "eval_history": [], "train_wall_s": None, "device": "cpu",
        "released_checkpoint": origin,
    }
    atomic_write_bytes(out / CHECKPOINT, lambda handle: torch.save(checkpoint, handle))
    run_config = {
        "experiment": experiment, "method": "cmcs", "data_variant": released.feature_kind, "dataset": "thumos14",
        "dataset_dir": str(Path(data).resolve()) if data is not None else None, "scale": "paper", "seed": 0,
        "config": config_to_dict(cfg), "released_config": released.name, "released_checkpoint": origin,
    }
    atomic_write_json(out / RUN_CONFIG, run_config)
    return run_config


def run(args: argparse.Namespace) -> int:
    if args.data is not None and not args.data.is_dir():
        raise DataError(args.data, "prepared dataset folder not found")
    info = import_released(args.path, args.out, args.config, args.data)
    modality = info["config"]["modality"]
    print(f"{args.path} -> {args.out}: released {info['released_config']} ({modality}), experiment "
          f"{info['experiment']}; score it with `wstal evaluate --run {args.out}"
          f"{'' if args.data else ' --annotations PREPARED_DATA'}`")
    return 0
