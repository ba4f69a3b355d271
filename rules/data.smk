# One prepared dataset per (dataset, scale, data variant): synthetic knobs or real features.


def _prepare_sources_args(wildcards):
    if config["dataset"] == "synthetic":
        return ""
    trust = " --trust-pickle" if config["trust_pickle"] else ""
    return f"--features {REAL_FEATURES} --annotations {REAL_ANNOTATIONS}{trust}"


rule prepare:
    output:
        annotations=f"{DATA}/{{data_variant}}/annotations.json",
        features=f"{DATA}/{{data_variant}}/features.npz",
    params:
        knobs=lambda wc: json.dumps(dict(CATALOG.data_variant(wc.data_variant).knobs), sort_keys=True),
        sources=_prepare_sources_args,
        out=lambda wc: f"{DATA}/{wc.data_variant}",
        code=code("prepare"),
    log:
        f"{LOGS}/prepare/{{data_variant}}.log",
    benchmark:
        f"{BENCH}/prepare/{{data_variant}}.tsv"
    threads: 1
    shell:
        "wstal prepare --dataset {config[dataset]} --scale {config[scale]} --data-variant {wildcards.data_variant} "
        "--out {params.out} {params.sources} > {log} 2>&1"
