# Prepared data. Synthetic: one dataset per (scale, data variant), the generator knobs applied.
# Real: one per (scale, feature source) (wstal/data/sources.py), shared by every data variant that stands
# for that source (catalog `real_source`), so a 1 GB feature file is prepared once, not once per variant.
# Every path reaches the shell quoted (feature folders may contain spaces).


def _source_inputs(wildcards):
    """The user's feature file/folders of a source: a missing one fails before any job runs."""
    paths = PLAN.source(wildcards.source)
    if not paths.available:
        raise WstalError(f"feature source {wildcards.source}: set {', '.join(paths.missing)}")
    return {"features": paths.features, **{key: folder for key, folder in paths.folders.items()}}


def _source_args(wildcards):
    """`--features F --annotations A [--meta M]` for `wstal prepare --source`, each path quoted."""
    folders = _source_inputs(wildcards)
    args = [f"--features {shlex.quote(folders['features'])}"]
    for key, option in (("annotations", "--annotations"), ("cmcs_annotations", "--annotations"),
                        ("cmcs_meta", "--meta")):
        if key in folders:
            args.append(f"{option} {shlex.quote(folders[key])}")
    if config["trust_pickle"]:
        args.append("--trust-pickle")
    return " ".join(args)


if SYNTHETIC:

    rule prepare:
        output:
            annotations=f"{DATA}/{{data_variant}}/annotations.json",
            features=f"{DATA}/{{data_variant}}/features.npz",
        params:
            knobs=lambda wc: json.dumps(dict(CATALOG.data_variant(wc.data_variant).knobs), sort_keys=True),
            out=lambda wc: f"{DATA}/{wc.data_variant}",
            code=code("prepare"),
            dataset=config["dataset"],
            scale=config["scale"],
        log:
            f"{LOGS}/prepare/{{data_variant}}.log",
        benchmark:
            f"{BENCH}/prepare/{{data_variant}}.tsv"
        threads: 1
        shell:
            on_failure(
                "wstal prepare --dataset {params.dataset:q} --scale {params.scale:q} "
                "--data-variant {wildcards.data_variant:q} --out {params.out:q} > {log:q} 2>&1")

else:
    # one rule per on-disk layout: its features file (the wstal-format array or an index) is a declared output
    for _layout in sorted({FEATURE_SOURCES.get(name).layout for name in PLAN.sources}):

        rule:
            name:
                f"prepare_{_layout}"
            output:
                annotations=f"{DATA}/{{source}}/annotations.json",
                features=f"{DATA}/{{source}}/{LAYOUTS.get(_layout).features_file}",
            wildcard_constraints:
                source=_alternatives(n for n in PLAN.sources if FEATURE_SOURCES.get(n).layout == _layout),
            input:
                unpack(_source_inputs),
            params:
                sources=_source_args,
                out=lambda wc: f"{DATA}/{wc.source}",
                code=code("prepare"),
                dataset=config["dataset"],
                scale=config["scale"],
            log:
                f"{LOGS}/prepare/{{source}}.log",
            benchmark:
                f"{BENCH}/prepare/{{source}}.tsv"
            threads: 1
            shell:
                on_failure(
                    "wstal prepare --dataset {params.dataset:q} --scale {params.scale:q} "
                    "--source {wildcards.source:q} --out {params.out:q} {params.sources} > {log:q} 2>&1")
