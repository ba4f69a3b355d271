# Targets and inputs computed from the catalog (wstal/catalog.py, wstal/report/plan.py).
# Nothing here imports torch: parsing the workflow stays well under a second.
import json

from wstal.report.plan import artifact_inputs, is_qualitative, run_evaluations, seeds_for, selected_artifacts
from wstal.report.paths import Layout
from wstal.report.sources import SourceIndex
from wstal.report.workflow import STATE_DIR, workflow_catalog

SOURCES = SourceIndex(cache=STATE_DIR / "sources.json")
CATALOG = workflow_catalog(SOURCES)
LAYOUT = Layout(config["dataset"], config["scale"])
SEEDS = seeds_for(config)
ARTIFACTS = selected_artifacts(CATALOG, config)
METHODS = tuple(sorted({e.method for e in CATALOG.experiments.values()}))
RUNS = f"results/{config['dataset']}/{config['scale']}"
DATA = f"results/data/{config['dataset']}/{config['scale']}"
BENCH = f"results/benchmarks/{config['dataset']}/{config['scale']}"
LOGS = f"results/logs/{config['dataset']}/{config['scale']}"
THREADS = config["threads_per_job"]  # Snakemake sets OMP/MKL/OpenBLAS threads of a job to its `threads`
REAL_FEATURES = config["features"].get(config["dataset"])
REAL_ANNOTATIONS = config["annotations"].get(config["dataset"])
if config["dataset"] != "synthetic" and not (REAL_FEATURES and REAL_ANNOTATIONS):
    raise ValueError(
        f"config: dataset={config['dataset']} needs features.{config['dataset']}=PATH and "
        f"annotations.{config['dataset']}=PATH (the W-TALC reduced-format features and annotation folder)"
    )


# Digest of the syntax trees of the `wstal` code each job family runs, as a param: Snakemake's
# params trigger re-runs exactly the jobs whose code changed (comments and docstrings do not count).
CODE = {(family, None): SOURCES.digest(family) for family in ("prepare", "table", "summary", "figure", "macs")}
CODE.update({(family, m): SOURCES.digest(family, m, METHODS) for m in METHODS
             for family in ("train", "evaluate", "figure-qualitative")})
SOURCES.save()


def on_failure(command):
    """A job's command, then, if it fails, its log's last lines on the console: the profile is quiet
    about rules (profiles/default), and the log holds `wstal`'s one-line error."""
    return f"{command} || {{{{ echo failed, log {{log:q}}: >&2; tail -n 5 {{log:q}} >&2; exit 1; }}}}"


def code(family, method=None):
    return CODE[(family, method)]


def figure_code(artifact):
    """Quantitative figures: report code; qualitative ones also load a model (method + inference code)."""
    art = CATALOG.artifact(artifact)
    if is_qualitative(art):
        return code("figure-qualitative", CATALOG.experiment(art.rows[0].experiment).method)
    return code("figure")


def _alternatives(names):
    return "|".join(sorted(map(lambda n: n.replace(".", r"\."), names), key=len, reverse=True))


wildcard_constraints:
    experiment=_alternatives(CATALOG.experiments),
    data_variant=_alternatives(CATALOG.data_variants),
    seed=r"\d+",
    artifact=r"(table|figure)\d+",


def artifact_kind(name):
    return CATALOG.artifact(name).kind


def artifact_files(name):
    return [str(p) for p in LAYOUT.artifact_outputs(name, artifact_kind(name))]


def method_of(experiment):
    return CATALOG.experiment(experiment).method


def train_done(experiment, seed):
    return str(LAYOUT.train_done(experiment, int(seed)))


def data_dir(experiment):
    return f"{DATA}/{CATALOG.experiment(experiment).data_variant}"


ALL_TARGETS = [f for name in ARTIFACTS for f in artifact_files(name)] + [str(LAYOUT.summary)]
