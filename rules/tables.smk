# Tables (LaTeX + Markdown + HTML for the report) and the summary of every claim.
# Presentation only: inputs are metrics files and the report code, never training code.


rule table:
    input:
        metrics=lambda wc: artifact_inputs(CATALOG, LAYOUT, wc.artifact, SEEDS),
        catalog=str(CATALOG.path),
        code=job_sources("table"),
    output:
        tex=report("tables/{artifact}.tex", caption="report/artifact.rst", category="Tables",
                   labels={"artifact": "{artifact}", "format": "LaTeX"}),
        md="tables/{artifact}.md",
        html=report("tables/{artifact}.html", caption="report/artifact.rst", category="Tables",
                    labels={"artifact": "{artifact}", "format": "HTML"}),
    wildcard_constraints:
        artifact=r"table\d+",
    params:
        caption=lambda wc: CATALOG.artifact(wc.artifact).caption,
        seeds=",".join(map(str, SEEDS)),
    log:
        f"{LOGS}/table/{{artifact}}.log",
    shell:
        "wstal table {wildcards.artifact} --dataset {config[dataset]} --scale {config[scale]} "
        "--seeds {params.seeds} --quiet > {log} 2>&1"


rule summary:
    input:
        metrics=[f for name in ARTIFACTS for f in artifact_inputs(CATALOG, LAYOUT, name, SEEDS)],
        catalog=str(CATALOG.path),
        code=job_sources("summary"),
    output:
        report(str(LAYOUT.summary), caption="report/summary.rst", category="Summary"),
        str(LAYOUT.metrics_table),
    params:
        seeds=",".join(map(str, SEEDS)),
        artifacts=",".join(ARTIFACTS),
    log:
        f"{LOGS}/summary.log",
    shell:
        "wstal summary --dataset {config[dataset]} --scale {config[scale]} --seeds {params.seeds} "
        "--artifacts {params.artifacts} > {log} 2>&1"
