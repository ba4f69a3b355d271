# Figures (PDF + PNG twin). Quantitative figures read metrics files (report code only); the
# qualitative RSKP figures (no metric in the catalog: figure7-10) read one trained run (first
# seed) and its predictions, and load its checkpoint through the method API, so their `code`
# param also covers that method and the inference path.


rule figure:
    input:
        metrics=lambda wc: artifact_inputs(CATALOG, LAYOUT, wc.artifact, SEEDS),
        catalog=str(CATALOG.path),
    output:
        pdf="figures/{artifact}.pdf",
        png=report(
            "figures/{artifact}.png",
            caption="report/artifact.rst",
            category="Figures",
            labels={"artifact": "{artifact}"},
        ),
    log:
        f"{LOGS}/figure/{{artifact}}.log",
    wildcard_constraints:
        artifact=r"figure\d+",
    conda:
        "../environment.yml"
    threads: THREADS
    params:
        caption=lambda wc: CATALOG.artifact(wc.artifact).caption,
        seeds=",".join(map(str, SEEDS)),
        dataset=config["dataset"],
        scale=config["scale"],
        code=lambda wc: figure_code(wc.artifact),
    shell:
        on_failure(
            "wstal figure {wildcards.artifact:q} --dataset {params.dataset:q} --scale {params.scale:q} "
            "--seeds {params.seeds:q} > {log:q} 2>&1"
        )
