"""CMCS's own feature layout (THUMOS'14 UNT and I3D features, ten crops), read without pickle.

Contract with the data-source wiring (`wstal prepare --source cmcs-unt|cmcs-i3d`):

    prepare_cmcs_source(kind, features_root, annotations_dir, meta_dir, out, *,
                        crops="oversample", check_values=True, progress=None) -> dict

* `kind`: "unt" or "i3d".
* `features_root`: the `THUMOS14_FEATURES` folder: `UNTRI-5/untri-thumos14-{val,test}-{rgb,flow}-
  {oversample,resize}-step5/<video>-{rgb,flow}.npz` (kind unt), `I3D-4/thumos-{val,test}-{rgb,flow}-
  {oversample,resize}/<video>-{rgb,flow}.npz` (kind i3d), optional `FLOW-INTENSITY/val/<video>.npz`
  (static-clip masks; when the folder exists every validation video needs one).
* `annotations_dir`: holds `annotations_val/` and `annotations_test/` with the official per-class files
  `<Class>_{val,test}.txt` (+ `Ambiguous_*.txt`). The videos of a subset are those the per-class files
  name (200 validation, 212 test); classes are the sorted class-file names.
* `meta_dir`: holds `thumos14-val-meta.mat` and `thumos14-test-meta.mat` (per-video fps, duration).
* `out`: written complete or not at all: `annotations.json` (wstal format, annotation-only: `wstal evaluate
  --annotations out` reads it) and `features.json` (`format` "wstal-cmcs-features", `version` 1, `kind`,
  `crops`, `root` (absolute), `base_sample_rate`, `chunk_frames`, `stream_dim`, `masks`, and per video
  `name`, `subset`, `rgb`, `flow`, `mask` (paths relative to `root`), `length` T, `crops` B, `frame_cnt`,
  `fps`, `duration`). The features are not copied.
* Returns `{"videos", "snippets", "crops", "feature_bytes", "masks"}`.
* Every bad layout (missing file or key, wrong shape, rgb/flow T or frame_cnt mismatch, NaN, a video missing
  from the meta file) raises `wstal.errors.DataError` naming the file and the problem.

`wstal.data.io.load_dataset(out)` recognises such a folder (by `features.json`) and returns a `Dataset`
whose videos carry a `CropSource` (`Video.crops`): the `(B, T, 2048)` RGB|flow features are loaded on
demand, checked against the index. `wstal.methods.cmcs` trains on all crops x temporal offsets and tests
on offset 0 averaged over crops (see `wstal.data.cmcs_layout.sequences`).
"""

from wstal.data.cmcs_layout.files import KINDS, FeatureKind
from wstal.data.cmcs_layout.prepare import INDEX_FILE, prepare_cmcs_source
from wstal.data.cmcs_layout.prepared import is_prepared_cmcs, read_prepared
from wstal.data.cmcs_layout.source import CropSource

__all__ = ["prepare_cmcs_source", "read_prepared", "is_prepared_cmcs", "CropSource", "KINDS", "FeatureKind",
           "INDEX_FILE"]
