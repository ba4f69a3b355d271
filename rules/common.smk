# Targets and inputs computed from the catalog (wstal/catalog.py, wstal/report/plan.py) and, on a real
# dataset, from the configured feature sources (wstal/data/sources.py, wstal/report/buildable.py).
# Nothing here imports torch: parsing the workflow stays well under a second.
import json
import shlex
import sys

from wstal.data.sources import LAYOUTS, SOURCES as FEATURE_SOURCES
from wstal.errors import WstalError
from wstal.report.buildable import plan_artifacts, refused_target
from wstal.report.plan import (
    artifact_inputs,
    is_qualitative,
    run_evaluations,
    seeds_for,
)
from wstal.report.paths import Layout
from wstal.report.sources import SourceIndex
from wstal.report.workflow import STATE_DIR, workflow_catalog


def _fail(message):
    """A config problem stops the workflow at parse time with one line (no traceback)."""
    print(f"wstal: error: {message}", file=sys.stderr)
    sys.exit(2)


def _requested_targets():
    """The targets on this snakemake command line (the main process only; read with Snakemake's own parser)."""
    if not workflow.is_main_process or "snakemake" not in " ".join(sys.argv[:1]):
        return []
    try:
        from snakemake.cli import parse_args

        return list(parse_args(sys.argv[1:])[1].targets or [])
    except (
        Exception,
        SystemExit,
    ):  # not a command line we can read: Snakemake reports its own problems
        return []


SOURCES = SourceIndex(cache=STATE_DIR / "sources.json")
CATALOG = workflow_catalog(SOURCES)
LAYOUT = Layout(config["dataset"], config["scale"])
SEEDS = seeds_for(config)
SYNTHETIC = config["dataset"] == "synthetic"
try:
    PLAN = plan_artifacts(CATALOG, config)
    REFUSED = refused_target(CATALOG, PLAN, LAYOUT, _requested_targets())
except WstalError as exc:
    _fail(exc)
if REFUSED:
    _fail(REFUSED)
if workflow.is_main_process:  # once per run, not again in every cluster job
    for line in (*PLAN.notes, *PLAN.skip_lines()):
        print(line, file=sys.stderr)
ARTIFACTS = list(PLAN.build)
METHODS = tuple(sorted({e.method for e in CATALOG.experiments.values()}))
RUNS = f"results/{config['dataset']}/{config['scale']}"
DATA = f"results/data/{config['dataset']}/{config['scale']}"
BENCH = f"results/benchmarks/{config['dataset']}/{config['scale']}"
LOGS = f"results/logs/{config['dataset']}/{config['scale']}"
THREADS = config[
    "threads_per_job"
]  # Snakemake sets OMP/MKL/OpenBLAS threads of a job to its `threads`


# Digest of the syntax trees of the `wstal` code each job family runs, as a param: Snakemake's
# params trigger re-runs exactly the jobs whose code changed (comments and docstrings do not count).
CODE = {
    (family, None): SOURCES.digest(family)
    for family in ("prepare", "table", "summary", "figure", "macs")
}
CODE.update(
    {
        (family, m): SOURCES.digest(family, m, METHODS)
        for m in METHODS
        for family in ("train", "evaluate", "figure-qualitative")
    }
)
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
        return code(
            "figure-qualitative", CATALOG.experiment(art.rows[0].experiment).method
        )
    return code("figure")


def _alternatives(names):
    return "|".join(
        sorted(map(lambda n: n.replace(".", r"\."), names), key=len, reverse=True)
    )


wildcard_constraints:
    experiment=_alternatives(CATALOG.experiments),
    data_variant=_alternatives(CATALOG.data_variants),
    source=_alternatives(FEATURE_SOURCES),
    seed=r"\d+",
    artifact=r"(table|figure)\d+",


def artifact_kind(name):
    return CATALOG.artifact(name).kind


def artifact_files(name):
    return [str(p) for p in LAYOUT.artifact_outputs(name, artifact_kind(name))]


def method_of(experiment):
    return CATALOG.experiment(experiment).method


def data_dir(experiment):
    """The prepared data an experiment trains on: per data variant (synthetic) or per feature source (real)."""
    return f"{DATA}/{CATALOG.data_key(experiment, config['dataset'])}"


def prepared_files(experiment):
    """The files `wstal prepare` writes for an experiment's data (annotations + features or their index)."""
    key = CATALOG.data_key(experiment, config["dataset"])
    features = (
        "features.npz" if SYNTHETIC else FEATURE_SOURCES.get(key).files.features_file
    )
    return [f"{DATA}/{key}/annotations.json", f"{DATA}/{key}/{features}"]


def train_done(experiment, seed):
    return str(LAYOUT.train_done(experiment, int(seed)))


# Real data: the user's files of a feature source, for `wstal prepare --source` (rules/data.smk).
def _source_inputs(wildcards):
    """The user's feature file/folders of a source: a missing one fails before any job runs."""
    paths = PLAN.source(wildcards.source)
    if not paths.available:
        raise WstalError(
            f"feature source {wildcards.source}: set {', '.join(paths.missing)}"
        )
    return {
        "features": paths.features,
        **{key: folder for key, folder in paths.folders.items()},
    }


def _source_args(wildcards):
    """`--features F --annotations A [--meta M]` for `wstal prepare --source`, each path quoted."""
    folders = _source_inputs(wildcards)
    args = [f"--features {shlex.quote(folders['features'])}"]
    for key, option in (
        ("annotations", "--annotations"),
        ("cmcs_annotations", "--annotations"),
        ("cmcs_meta", "--meta"),
    ):
        if key in folders:
            args.append(f"{option} {shlex.quote(folders[key])}")
    if config["trust_pickle"]:
        args.append("--trust-pickle")
    return " ".join(args)


ALL_TARGETS = [f for name in ARTIFACTS for f in artifact_files(name)] + [
    str(LAYOUT.summary)
]
