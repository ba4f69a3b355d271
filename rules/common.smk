# Targets and inputs computed from the catalog (wstal/catalog.py, wstal/report/build.py).
import json

from wstal.catalog import load_catalog
from wstal.report.build import artifact_inputs, is_qualitative, seeds_for, selected_artifacts
from wstal.report.paths import Layout
from wstal.report.sources import job_sources

CATALOG = load_catalog()
LAYOUT = Layout(config["dataset"], config["scale"])
SEEDS = seeds_for(config)
ARTIFACTS = selected_artifacts(CATALOG, config)
METHODS = tuple(sorted({e.method for e in CATALOG.experiments.values()}))
RUNS = f"results/{config['dataset']}/{config['scale']}"
DATA = f"results/data/{config['dataset']}/{config['scale']}"
BENCH = f"results/benchmarks/{config['dataset']}/{config['scale']}"
LOGS = f"results/logs/{config['dataset']}/{config['scale']}"
THREADS = config["threads_per_job"]
REAL_FEATURES = config["features"].get(config["dataset"])
REAL_ANNOTATIONS = config["annotations"].get(config["dataset"])
if config["dataset"] != "synthetic" and not (REAL_FEATURES and REAL_ANNOTATIONS):
    raise ValueError(
        f"config: dataset={config['dataset']} needs features.{config['dataset']}=PATH and "
        f"annotations.{config['dataset']}=PATH (the W-TALC reduced-format features and annotation folder)"
    )
# every torch/BLAS pool of a job gets THREADS threads: jobs run side by side on few cores
ENV = f"OMP_NUM_THREADS={THREADS} MKL_NUM_THREADS={THREADS} OPENBLAS_NUM_THREADS={THREADS}"


def _alternatives(names):
    return "|".join(sorted(map(lambda n: n.replace(".", r"\."), names), key=len, reverse=True))


wildcard_constraints:
    experiment=_alternatives(CATALOG.experiments),
    data_variant=_alternatives(CATALOG.data_variants),
    seed=r"\d+",
    variant=r"[A-Za-z0-9_.+\-]+",
    protocol=r"activitynet|snippet|wtalc|th14|th14-11pt|th14-11pt-nearest|th14-11pt-octave",
    artifact=r"(table|figure)\d+",


def artifact_kind(name):
    return CATALOG.artifact(name).kind


def artifact_files(name):
    return [str(p) for p in LAYOUT.artifact_outputs(name, artifact_kind(name))]


def method_of(experiment):
    return CATALOG.experiment(experiment).method


def train_done(experiment, seed):
    return str(LAYOUT.train_done(experiment, int(seed)))


ALL_TARGETS = [f for name in ARTIFACTS for f in artifact_files(name)] + [str(LAYOUT.summary)]
