"""The one training loop every method uses.

The method (see `wstal.methods.base`) owns model, samples and losses; this loop owns
everything that must be identical across methods so that their numbers are comparable
and their runs survive a hard stop:

* seeding: Python/NumPy/torch once, then `seed_torch(step_seed(seed, step), device)` and
  `ctx.rng = step_rng(seed, step)` per step, and an epoch order from
  `step_rng(seed, epoch, stream=1)`. Every draw is a function of (seed, step), so a run
  resumed from `model.pt` is bit-identical to an uninterrupted one on the CPU without
  saving RNG states;
* gradient accumulation: `train.batch_videos` per-video losses are summed into one
  optimiser update (the papers' batch), items drawn continuously across epochs; with
  `train.batching: packed` (the default) a method with a `batch_loss` takes the whole batch
  in one forward/backward pass, otherwise each video gets its own (the released code's loop);
* checkpoints (`model.pt`, atomic, `torch.load(weights_only=True)`-loadable), resume,
  the divergence guard, progress output, timing and `train_log.jsonl`.
"""

from __future__ import annotations

import io
import json
import math
import re
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from torch import nn

from wstal.data.records import Dataset
from wstal.errors import ConfigError, DataError, TrainingDiverged
from wstal.methods.base import Method, StepContext, config_to_dict, get_method
from wstal.methods.packing import check_batching
from wstal.utils.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text, write_error
from wstal.utils.provenance import git_commit
from wstal.utils.seeding import resolve_device, seed_everything, seed_torch, step_rng, step_seed

CHECKPOINT = "model.pt"
TRAIN_LOG = "train_log.jsonl"
TRAIN_SUMMARY = "train_summary.json"
CHECKPOINT_FORMAT = "wstal-checkpoint"
CHECKPOINT_VERSION = 1
BEST_ON_TEST_LABEL = (
    "best-on-test: the best periodic evaluation on the test set (the papers' model selection); "
    "not the primary result"
)

# A periodic evaluator: (method, model, device) -> evaluator dict with "average", "map", "tiou".
PeriodicEval = Callable[[Method, nn.Module, torch.device], Mapping[str, Any]]


# ------------------------------------------------------------------ sample order


class EpochOrder:
    """Item `g` of the endless stream of epoch-shuffled training samples.

    Epoch `e` is the permutation `step_rng(seed, e, stream=1).permutation(n)`; item `g`
    lives in epoch `g // n` at position `g % n`. A pure function of (seed, g): the
    resumed run draws exactly the items the uninterrupted run drew.
    """

    def __init__(self, num_items: int, seed: int):
        if num_items <= 0:
            raise ConfigError("the method produced no training samples (empty train subset?)")
        self.num_items = num_items
        self.seed = seed
        self._epoch = -1
        self._perm: list[int] = []

    def __call__(self, g: int) -> tuple[int, int]:
        """(epoch, item index) of the g-th drawn sample."""
        epoch, pos = divmod(g, self.num_items)
        if epoch != self._epoch:
            self._perm = step_rng(self.seed, epoch, stream=1).permutation(self.num_items).tolist()
            self._epoch = epoch
        return epoch, self._perm[pos]


# ------------------------------------------------------------------ checkpoints


def _plain(value: Any) -> Any:
    """JSON-normalised copy (tuples -> lists) for comparing configs."""
    return json.loads(json.dumps(value))


RESTART_HINT = "delete it or rerun `wstal train` with --no-resume to start the run over"


def load_checkpoint(path: str | Path) -> dict:
    """Load `model.pt` without running code (`weights_only=True`); clear error when corrupt."""
    path = Path(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataError(path, "checkpoint not found") from None
    except Exception as exc:  # corrupt, truncated or code-carrying file
        reason = _torch_load_reason(exc)
        if reason.startswith("Unsupported global"):
            # never repeat torch's advice (weights_only=False): it would run code from the file
            raise DataError(path, f"refused: the file asks for a Python object besides tensors and plain data "
                                  f"({reason[:120]}), which wstal never unpickles; {RESTART_HINT}") from None
        raise DataError(path, f"not a loadable wstal checkpoint, corrupt or truncated ({reason[:120]}); "
                              f"{RESTART_HINT}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise DataError(path, f"not a wstal checkpoint (missing format marker); {RESTART_HINT}")
    return ckpt


def _torch_load_reason(exc: Exception) -> str:
    """The cause in torch's load error, without its advice to load with weights_only=False."""
    text = str(exc)
    marker = "WeightsUnpickler error:"
    if marker in text:
        text = text.split(marker, 1)[1].split("Check the documentation", 1)[0]
    text = " ".join(text.split())
    found = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if found:
        return f"Unsupported global {found.group(1)}"
    return text.split(". ", 1)[0] or type(exc).__name__


def _save_checkpoint(path: Path, state: dict) -> None:
    """Serialised in memory first: torch's zip writer reports a full disk as an opaque RuntimeError,
    a plain write of the bytes as the OSError the atomic writer turns into one line."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, lambda handle: handle.write(buffer.getbuffer()))


@dataclass
class _Progress:
    """A tqdm bar on a terminal, plain periodic log lines otherwise (logs, SLURM, CI)."""

    mode: str  # "bar" | "log" | "none"
    total: int
    start: int
    label: str
    _bar: Any = None
    _every: int = 1
    _t0: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        if self.mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.start, desc=self.label, dynamic_ncols=True)
        self._every = max(1, self.total // 10)

    def update(self, step: int, total_loss: float) -> None:
        done = step + 1
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{total_loss:.4f}", refresh=False)
        elif self.mode == "log" and (done % self._every == 0 or done == self.total):
            rate = (done - self.start) / max(time.perf_counter() - self._t0, 1e-9)
            print(f"[{self.label}] step {done}/{self.total} loss {total_loss:.4f} ({rate:.1f} it/s)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _progress_mode(progress: bool | str | None) -> str:
    if progress is None:
        return "bar" if sys.stderr.isatty() else "log"
    if progress is True:
        return "bar"
    if progress is False:
        return "none"
    if progress not in ("bar", "log", "none"):
        raise ConfigError(f"progress must be bar|log|none, got {progress!r}")
    return progress


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed large blocks in the heap instead of returning them to the OS.

    By default blocks above a (dynamic, <= 32 MB) threshold are mmap'ed and unmapped on free,
    and the heap top is trimmed, so every large temporary of a step ([T, 2048] activations) is
    page-faulted in again: about 15% of an RSKP paper-width step on one CPU thread (measured).
    The cost is a resident size that stays at its peak. No effect (False) off glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 1 << 30))


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory of this process: CUDA allocator peak on GPU, peak RSS on the CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def process_cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far, imports included: what a job costs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------ the loop


def train(
    method_name: str,
    config: Any,
    dataset: Dataset,
    out_dir: str | Path,
    seed: int,
    device: str = "auto",
    resume: bool = True,
    progress: bool | str | None = None,
    experiment: str | None = None,
    periodic_eval: PeriodicEval | None = None,
    checkpoint_seconds: float = 60.0,
) -> dict:
    """Train `method_name` with `config` on `dataset` into `out_dir`; return the summary.

    `out_dir/model.pt` with step < steps is resumed (unless `resume=False`); a finished
    run is not retrained, its summary is returned. `experiment` names the run in
    messages (default: the folder name). `periodic_eval` scores the model on the test
    set every `train.eval_every` steps (default: `wstal.run.score_model`). Besides every
    `train.checkpoint_every` steps, a checkpoint is written whenever `checkpoint_seconds`
    of wall time passed since the last one, so a hard stop loses at most that much work
    whatever the config says (when checkpoints are written never changes the numbers).
    """
    out_dir = Path(out_dir)
    experiment = experiment or out_dir.name
    check_has_features(dataset, experiment)
    steps = int(config.train.steps)
    batch = int(config.train.batch_videos)
    if steps <= 0 or batch <= 0:
        raise ConfigError(f"{experiment}: train.steps and train.batch_videos must be positive "
                          f"(got {steps}, {batch})")
    check_lr_decay(config.train, experiment)
    dev = resolve_device(device)
    config_dict = config_to_dict(config)
    ckpt_path = out_dir / CHECKPOINT

    previous = _resumable_checkpoint(ckpt_path, method_name, config_dict, experiment) if resume else None
    if previous is not None and previous["step"] >= steps:
        return _finished_summary(out_dir, previous)

    if dev.type == "cpu":
        keep_freed_memory()
    seed_everything(seed, device=dev)
    method = get_method(method_name)(config, dataset)
    method.prepare()
    model = method.build_model().to(dev)
    optimizer = method.build_optimizer(model)
    base_lrs = [float(group["lr"]) for group in optimizer.param_groups]  # before a resume loads decayed ones
    start, prior_wall, best, history = 0, 0.0, None, []
    saved = {"step": None}  # the last checkpoint on disk that belongs to this run (for messages)
    if previous is not None:
        saved["step"] = int(previous["step"])
        model.load_state_dict(previous["model"])
        try:
            optimizer.load_state_dict(previous["optimizer"])
        except (KeyError, TypeError, ValueError) as exc:  # torch.optim and ours refuse a foreign state alike
            reason = " ".join(str(exc).split())
            raise DataError(ckpt_path, f"its optimizer state does not fit this run ({reason}); "
                                       "start over with --no-resume") from None
        start = int(previous["step"])
        prior_wall = float(previous.get("train_wall_s", 0.0))
        best = previous.get("best_on_test")
        history = list(previous.get("eval_history", []))
    # the commits the weights were trained at (a resumed run may span several); metrics.json reports them
    commits = list(previous.get("train_commits", [])) if previous is not None else []
    here = git_commit()
    if not commits or commits[-1] != here:
        commits.append(here)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(out_dir, exc) from None
    log_lines = _kept_log_lines(out_dir / TRAIN_LOG, start)
    atomic_write_text(out_dir / TRAIN_LOG, "".join(log_lines))

    items = method.train_items()
    order = EpochOrder(len(items), seed)
    packed = check_batching(str(getattr(config.train, "batching", "per_video")), experiment) == "packed" \
        and method.packs_batches
    eval_every = int(getattr(config.train, "eval_every", 0) or 0)
    ckpt_every = int(getattr(config.train, "checkpoint_every", 0) or 0)
    if eval_every and periodic_eval is None:
        from wstal.run import score_model

        periodic_eval = score_model

    def checkpoint(step_done: int, wall: float) -> None:
        _save_checkpoint(ckpt_path, {
            "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "method": method_name, "experiment": experiment, "seed": int(seed),
            "step": int(step_done), "total_steps": steps, "config": config_dict,
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "best_on_test": best, "eval_history": history,
            "train_wall_s": float(wall), "device": str(dev), "train_commits": commits,
        })
        saved["step"] = int(step_done)

    def kept() -> str:
        if saved["step"] is None:
            return "no checkpoint was written yet (nothing to resume: fix the cause and rerun)"
        return f"last good checkpoint (step {saved['step']}) kept at {ckpt_path}"

    bar = _Progress(_progress_mode(progress), steps, start, experiment)
    t0 = last_saved = time.perf_counter()
    last: dict[str, float] = {}
    stalled = _ZeroGradientGuard(experiment, seed, dataset)
    try:
        log = open(out_dir / TRAIN_LOG, "a", encoding="utf-8")
    except OSError as exc:
        raise write_error(out_dir / TRAIN_LOG, exc) from None
    try:
        for step in range(start, steps):
            seed_torch(step_seed(seed, step), dev)
            epoch, _ = order(step * batch)
            ctx = StepContext(step=step, epoch=epoch, rng=step_rng(seed, step), device=dev)
            model.train()
            optimizer.zero_grad(set_to_none=True)
            last = {}
            chosen = [items[order(step * batch + k)[1]] for k in range(batch)]
            if packed:
                losses = method.batch_loss(model, chosen, ctx)
                values = {name: tensor.detach().cpu().tolist() for name, tensor in losses.items()}
                for k, value in enumerate(values["total"]):
                    _check_loss(value, experiment, seed, step, k, batch, kept)
                losses["total"].sum().backward()
                for name, per_item in values.items():
                    for value in per_item:  # the per-video path's order of summation
                        last[name] = last.get(name, 0.0) + value
            else:
                for k, item in enumerate(chosen):
                    losses = method.loss(model, item, ctx)
                    total = losses["total"]
                    _check_loss(float(total.detach()), experiment, seed, step, k, batch, kept)
                    total.backward()
                    for name, tensor in losses.items():
                        last[name] = last.get(name, 0.0) + float(tensor.detach())
            stalled.check(_check_gradients(model, experiment, seed, step, kept), step, kept)
            if getattr(config.train, "lr_decay_steps", ()):
                factor = lr_factor(config.train, step)
                for group, base_lr in zip(optimizer.param_groups, base_lrs):
                    group["lr"] = base_lr * factor
            optimizer.step()
            method.after_step(model, ctx)
            try:
                log.write(json.dumps({"step": step, "epoch": epoch, **last}) + "\n")
                log.flush()
            except OSError as exc:
                raise write_error(out_dir / TRAIN_LOG, exc) from None
            done = step + 1
            if eval_every and (done % eval_every == 0 or done == steps):
                best, history = _periodic(periodic_eval, method, model, dev, done, best, history)
            bar.update(step, last.get("total", float("nan")))
            now = time.perf_counter()
            if (ckpt_every and done % ckpt_every == 0) or done == steps or now - last_saved > checkpoint_seconds:
                checkpoint(done, prior_wall + now - t0)
                last_saved = now
    finally:
        try:
            log.close()
        except OSError:
            pass  # the write error (if any) was raised above
        bar.close()

    wall = time.perf_counter() - t0
    summary = {
        "method": method_name, "experiment": experiment, "seed": int(seed),
        "steps": steps, "batch_videos": batch, "resumed_from_step": start,
        "device": str(dev), "final_losses": last, "best_on_test": best, "train_commits": commits,
        "timing": {
            "train_wall_s": prior_wall + wall,
            "session_wall_s": wall,
            "iterations_per_s": (steps - start) / wall if wall > 0 else None,
            "peak_memory_mb": peak_memory_mb(dev),
            "process_cpu_s": process_cpu_s(),
        },
    }
    atomic_write_json(out_dir / TRAIN_SUMMARY, summary)
    return summary


def lr_factor(train_config: Any, step: int) -> float:
    """Learning-rate multiplier of update `step` (0-based): factor ** (decay steps <= step).

    The released CMCS ActivityNet configs multiply the rate by 0.1 once, at update
    floor(max_step_num / 2), with a MultiStepLR stepped after every update; so update
    m (0-based) is the first with the decayed rate. A pure function of the step, so a
    resumed run uses the same rates as an uninterrupted one without a scheduler state.
    """
    passed = sum(1 for milestone in getattr(train_config, "lr_decay_steps", ()) if step >= int(milestone))
    return float(getattr(train_config, "lr_decay_factor", 1.0)) ** passed


def check_lr_decay(train_config: Any, experiment: str) -> None:
    """One-line ConfigError for decay steps that are not non-negative integers or a non-positive factor."""
    steps = getattr(train_config, "lr_decay_steps", ())
    if not all(isinstance(m, int) and not isinstance(m, bool) and m >= 0 for m in steps):
        raise ConfigError(f"{experiment}: train.lr_decay_steps must be non-negative update indices, got {list(steps)}")
    if not getattr(train_config, "lr_decay_factor", 1.0) > 0:
        raise ConfigError(f"{experiment}: train.lr_decay_factor must be > 0, got {train_config.lr_decay_factor}")


def check_resumable(out_dir: str | Path, method_name: str, config: Any, experiment: str) -> None:
    """Raise if `out_dir/model.pt` belongs to another method or config (before touching the folder)."""
    _resumable_checkpoint(Path(out_dir) / CHECKPOINT, method_name, config_to_dict(config), experiment)


def _resumable_checkpoint(path: Path, method_name: str, config_dict: dict, experiment: str) -> dict | None:
    """The existing checkpoint if it belongs to this run; a foreign one is an error, not overwritten."""
    if not path.exists():
        return None
    ckpt = load_checkpoint(path)
    if ckpt.get("method") != method_name:
        raise ConfigError(f"{path}: checkpoint is of method {ckpt.get('method')!r}, not {method_name!r}; "
                          f"use --no-resume or another --out")
    stored, current = _trained_config(ckpt.get("config")), _trained_config(config_dict)
    if stored != current:
        differing = _differing_keys(stored, current)
        raise ConfigError(f"{path}: checkpoint of {ckpt.get('experiment')!r} was trained with a different config "
                          f"({', '.join(differing[:5])}) than {experiment!r}; use --no-resume or another --out")
    return ckpt


EXECUTION_KEYS = ("batching",)  # train.* keys that change how a step runs, not what it computes


def _trained_config(config: Any) -> Any:
    """The config as far as it decides what is trained: a run may resume under another `train.batching`."""
    plain = _plain(config)
    if isinstance(plain, dict) and isinstance(plain.get("train"), dict):
        plain["train"] = {k: v for k, v in plain["train"].items() if k not in EXECUTION_KEYS}
    return plain


def _differing_keys(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in _differing_keys(a.get(k), b.get(k), f"{prefix}{k}.")]
    return [] if a == b else [prefix.rstrip(".")]


def _finished_summary(out_dir: Path, ckpt: dict) -> dict:
    """A finished run is not retrained: return (and if missing, rebuild) its summary."""
    path = out_dir / TRAIN_SUMMARY
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            stored = None
        if _summary_shaped(stored):
            return stored
        # unreadable or wrong-shaped: rebuilt below from the checkpoint, which is the source of truth
    summary = {
        "method": ckpt["method"], "experiment": ckpt.get("experiment"), "seed": ckpt.get("seed"),
        "steps": ckpt["total_steps"], "batch_videos": ckpt["config"]["train"]["batch_videos"],
        "resumed_from_step": ckpt["step"], "device": ckpt.get("device"), "final_losses": {},
        "best_on_test": ckpt.get("best_on_test"), "train_commits": ckpt.get("train_commits", []),
        "timing": {"train_wall_s": ckpt.get("train_wall_s"), "session_wall_s": 0.0,
                   "iterations_per_s": None, "peak_memory_mb": None},
    }
    atomic_write_json(path, summary)
    return summary


def _summary_shaped(summary: Any) -> bool:
    """What `wstal train` and the report read from a summary: an object with a `timing` object."""
    return (isinstance(summary, dict) and isinstance(summary.get("timing"), dict)
            and isinstance(summary.get("steps"), int) and not isinstance(summary.get("steps"), bool))


def _kept_log_lines(path: Path, start: int) -> list[str]:
    """Log lines of steps before `start`: steps after the last checkpoint are redone."""
    if start == 0 or not path.exists():
        return []
    kept = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a hard stop
        if isinstance(entry, dict) and isinstance(entry.get("step"), int) and entry["step"] < start:
            kept.append(line + "\n")
    return kept


def _check_loss(value: float, experiment: str, seed: int, step: int, k: int, batch: int,
                kept: Callable[[], str]) -> None:
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"experiment {experiment!r} (seed {seed}): loss is {value} at step {step} "
            f"(video {k + 1}/{batch} of the batch); {kept()}")


def _check_gradients(model: nn.Module, experiment: str, seed: int, step: int, kept: Callable[[], str]) -> bool:
    """A finite loss can still give NaN/Inf gradients; an update with them would poison the model.

    Returns True when every gradient is exactly 0 (one reduction per parameter, one sync).
    """
    grads = [p.grad for p in model.parameters() if p.grad is not None and p.grad.numel()]
    if not grads:
        return True
    largest = torch.stack([g.detach().abs().amax() for g in grads])
    if not bool(torch.isfinite(largest).all()):
        raise TrainingDiverged(f"experiment {experiment!r} (seed {seed}): NaN/Inf gradient at step {step}; {kept()}")
    return bool((largest == 0).all())


ZERO_GRADIENT_STEPS = 5  # consecutive steps with every gradient exactly 0: the model cannot learn


class _ZeroGradientGuard:
    """Stops a run that cannot learn: all gradients exactly 0 for `ZERO_GRADIENT_STEPS` steps in a row.

    Finite but absurd inputs (features around 1e37) saturate every nonlinearity: the loss
    stays finite, only repeats the batches' values, and the optimiser never moves. Such a
    run would "succeed" with a model that is its initialisation.
    """

    def __init__(self, experiment: str, seed: int, dataset: Dataset):
        self.experiment, self.seed, self.dataset = experiment, seed, dataset
        self.count = 0

    def check(self, all_zero: bool, step: int, kept: Callable[[], str]) -> None:
        self.count = self.count + 1 if all_zero else 0
        if self.count >= ZERO_GRADIENT_STEPS:
            largest = max((float(abs(v.features).max()) for v in self.dataset.videos if v.features.size), default=0.0)
            raise TrainingDiverged(
                f"experiment {self.experiment!r} (seed {self.seed}): every gradient is exactly 0 for "
                f"{self.count} steps (steps {step - self.count + 1}..{step}): the model cannot learn; the largest "
                f"|feature| of dataset {self.dataset.name!r} is {largest:.3g} (features out of range?); {kept()}")


def check_has_features(dataset: Dataset, experiment: str) -> None:
    """Training needs features: say so before any model sees an empty [0, 0] array."""
    if not dataset.features_loaded:
        where = dataset.meta.get("annotations") or dataset.name
        folder = Path(where).parent if str(where).endswith(".json") else where
        raise DataError(folder, f"dataset has no features (annotation-only); experiment {experiment!r} cannot "
                                "train on it (prepare it with its features file)")


def _periodic(evaluate: PeriodicEval, method: Method, model: nn.Module, device: torch.device, step: int,
              best: dict | None, history: list) -> tuple[dict | None, list]:
    """Score on the test set (labelled best-on-test, the papers' selection); training mode restored."""
    result = evaluate(method, model, device)
    model.train()
    average = float(result["average"])
    history = history + [{"step": step, "average": average}]
    if best is None or average > best["average"]:
        best = {"label": BEST_ON_TEST_LABEL, "step": step, "average": average,
                "tiou": [float(t) for t in result["tiou"]], "map": [float(m) for m in result["map"]],
                "protocol": str(result.get("protocol", ""))}
    return best, history


__all__ = ["train", "lr_factor", "check_lr_decay", "check_resumable", "load_checkpoint", "EpochOrder",
           "peak_memory_mb", "process_cpu_s", "keep_freed_memory", "CHECKPOINT", "TRAIN_LOG", "TRAIN_SUMMARY"]
