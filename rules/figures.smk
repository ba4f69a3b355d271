# Figures (PDF + PNG twin). Quantitative figures read metrics files; the qualitative RSKP
# figures (no metric in the catalog: figure7-10) read one trained run (first seed) and its
# predictions, and load its checkpoint through the method API.


def figure_method(artifact):
    art = CATALOG.artifact(artifact)
    return CATALOG.experiment(art.rows[0].experiment).method if is_qualitative(art) else None


rule figure:
    input:
        metrics=lambda wc: artifact_inputs(CATALOG, LAYOUT, wc.artifact, SEEDS),
        catalog=str(CATALOG.path),
        code=lambda wc: job_sources("figure", figure_method(wc.artifact), METHODS),
    output:
        pdf="figures/{artifact}.pdf",
        png=report("figures/{artifact}.png", caption="report/artifact.rst", category="Figures",
                   labels={"artifact": "{artifact}"}),
    wildcard_constraints:
        artifact=r"figure\d+",
    params:
        caption=lambda wc: CATALOG.artifact(wc.artifact).caption,
        seeds=",".join(map(str, SEEDS)),
    log:
        f"{LOGS}/figure/{{artifact}}.log",
    threads: THREADS
    shell:
        "{ENV} wstal figure {wildcards.artifact} --dataset {config[dataset]} --scale {config[scale]} "
        "--seeds {params.seeds} > {log} 2>&1"
