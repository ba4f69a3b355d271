# Prepared data. Synthetic: one dataset per (scale, data variant), the generator knobs applied.
# Real: one per (scale, feature source) (wstal/data/sources.py), shared by every data variant that stands
# for that source (catalog `real_source`), so a 1 GB feature file is prepared once, not once per variant.
# Every path reaches the shell quoted (feature folders may contain spaces).


if SYNTHETIC:

    rule prepare:
        output:
            annotations=f"{DATA}/{{data_variant}}/annotations.json",
            features=f"{DATA}/{{data_variant}}/features.npz",
        log:
            f"{LOGS}/prepare/{{data_variant}}.log",
        benchmark:
            f"{BENCH}/prepare/{{data_variant}}.tsv"
        conda:
            "../environment.yml"
        threads: 1
        params:
            knobs=lambda wc: json.dumps(
                dict(CATALOG.data_variant(wc.data_variant).knobs), sort_keys=True
            ),
            out=lambda wc: f"{DATA}/{wc.data_variant}",
            code=code("prepare"),
            dataset=config["dataset"],
            scale=config["scale"],
        shell:
            on_failure(
                "wstal prepare --dataset {params.dataset:q} --scale {params.scale:q} "
                "--data-variant {wildcards.data_variant:q} --out {params.out:q} > {log:q} 2>&1"
            )

else:
    # one rule per on-disk layout: its features file (the wstal-format array or an index) is a declared output
    for _layout in sorted({FEATURE_SOURCES.get(name).layout for name in PLAN.sources}):

        rule:
            name:
                f"prepare_{_layout}"
            input:
                unpack(_source_inputs),
            output:
                annotations=f"{DATA}/{{source}}/annotations.json",
                features=f"{DATA}/{{source}}/{LAYOUTS.get(_layout).features_file}",
            log:
                f"{LOGS}/prepare/{{source}}.log",
            benchmark:
                f"{BENCH}/prepare/{{source}}.tsv"
            wildcard_constraints:
                source=_alternatives(
                    n for n in PLAN.sources if FEATURE_SOURCES.get(n).layout == _layout
                ),
            conda:
                "../environment.yml"
            threads: 1
            params:
                sources=_source_args,
                out=lambda wc: f"{DATA}/{wc.source}",
                code=code("prepare"),
                dataset=config["dataset"],
                scale=config["scale"],
            shell:
                on_failure(
                    "wstal prepare --dataset {params.dataset:q} --scale {params.scale:q} "
                    "--source {wildcards.source:q} --out {params.out:q} {params.sources} > {log:q} 2>&1"
                )
