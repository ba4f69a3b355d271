# Tables (LaTeX + Markdown + HTML for the report) and the summary of every claim.
# Presentation only: inputs are the runs' evaluations (metrics files) and the catalog; the
# `code` param covers the report code only, never training or evaluation code.


rule table:
    input:
        metrics=lambda wc: artifact_inputs(CATALOG, LAYOUT, wc.artifact, SEEDS),
        catalog=str(CATALOG.path),
    output:
        tex=report(
            "tables/{artifact}.tex",
            caption="report/artifact.rst",
            category="Tables",
            labels={"artifact": "{artifact}", "format": "LaTeX"},
        ),
        md="tables/{artifact}.md",
        html=report(
            "tables/{artifact}.html",
            caption="report/artifact.rst",
            category="Tables",
            labels={"artifact": "{artifact}", "format": "HTML"},
        ),
    log:
        f"{LOGS}/table/{{artifact}}.log",
    wildcard_constraints:
        artifact=r"table\d+",
    conda:
        "../environment.yml"
    threads: 1
    params:
        caption=lambda wc: CATALOG.artifact(wc.artifact).caption,
        seeds=",".join(map(str, SEEDS)),
        dataset=config["dataset"],
        scale=config["scale"],
        code=code("table"),
    shell:
        on_failure(
            "wstal table {wildcards.artifact:q} --dataset {params.dataset:q} --scale {params.scale:q} "
            "--seeds {params.seeds:q} --quiet > {log:q} 2>&1"
        )


rule summary:
    input:
        metrics=[
            f
            for name in ARTIFACTS
            for f in artifact_inputs(CATALOG, LAYOUT, name, SEEDS)
        ],
        catalog=str(CATALOG.path),
    output:
        report(str(LAYOUT.summary), caption="report/summary.rst", category="Summary"),
        str(LAYOUT.metrics_table),
    log:
        f"{LOGS}/summary.log",
    conda:
        "../environment.yml"
    threads: 1
    params:
        seeds=",".join(map(str, SEEDS)),
        dataset=config["dataset"],
        scale=config["scale"],
        artifacts=",".join(ARTIFACTS),
        code=code("summary"),
    shell:
        on_failure(
            "wstal summary --dataset {params.dataset:q} --scale {params.scale:q} --seeds {params.seeds:q} "
            "--artifacts {params.artifacts:q} > {log:q} 2>&1"
        )
