# Evaluation: one job per trained run (experiment, seed). One process loads the model and
# the dataset once, runs inference once per inference variant, and scores each variant under
# the method's own protocol (<variant>/metrics.json) and under every other protocol an
# artifact asks for (<variant>/metrics-<protocol>.json, table8: re-scoring, no inference).
# Output: evaluation.json, written last (the metrics files are listed in it).
# Separate from training, so an evaluation or localization change never retrains.
# No `benchmark:` (nor on train, table, figure, summary): Snakemake samples a benchmarked job's
# process tree every 0.5 s during its first 15 s, which cost Snakemake 56 s of its own CPU on the
# smoke DAG (113 s with benchmarks on every job, 58 s without); an evaluation's wall time is in
# its metrics.json (`timing`), its process's CPU time in evaluation.json (`process_cpu_s`).


rule evaluate:
    input:
        trained=lambda wc: train_done(wc.experiment, wc.seed),
    output:
        f"{RUNS}/{{experiment}}/seed{{seed}}/evaluation.json",
    log:
        f"{LOGS}/evaluate/{{experiment}}.seed{{seed}}.log",
    conda:
        "../environment.yml"
    threads: THREADS
    params:
        run=lambda wc: f"{RUNS}/{wc.experiment}/seed{wc.seed}",
        evaluations=lambda wc: run_evaluations(CATALOG, wc.experiment),
        code=lambda wc: code("evaluate", method_of(wc.experiment)),
    shell:
        on_failure(
            "wstal evaluate --run {params.run:q} --variant {params.evaluations:q} > {log:q} 2>&1"
        )
