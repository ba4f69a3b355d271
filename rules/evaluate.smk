# Evaluation: one job per (experiment, inference variant, seed) with the method's own
# protocol; table8 re-scores the same predictions under another protocol (no inference).


rule evaluate:
    input:
        trained=lambda wc: train_done(wc.experiment, wc.seed),
        code=lambda wc: job_sources("evaluate", method_of(wc.experiment), METHODS),
    output:
        metrics=f"{RUNS}/{{experiment}}/seed{{seed}}/{{variant}}/metrics.json",
        predictions=f"{RUNS}/{{experiment}}/seed{{seed}}/{{variant}}/predictions.json",
    params:
        run=lambda wc: f"{RUNS}/{wc.experiment}/seed{wc.seed}",
        data=lambda wc: data_dir(wc.experiment),
    log:
        f"{LOGS}/evaluate/{{experiment}}.seed{{seed}}.{{variant}}.log",
    benchmark:
        f"{BENCH}/evaluate/{{experiment}}.seed{{seed}}.{{variant}}.tsv"
    threads: THREADS
    shell:
        "{ENV} wstal evaluate --run {params.run} --variant {wildcards.variant} > {log} 2>&1"


rule evaluate_protocol:
    input:
        predictions=f"{RUNS}/{{experiment}}/seed{{seed}}/{{variant}}/predictions.json",
        data=lambda wc: f"{data_dir(wc.experiment)}/annotations.json",
        code=job_sources("evaluate"),
    output:
        f"{RUNS}/{{experiment}}/seed{{seed}}/{{variant}}/metrics-{{protocol}}.json",
    params:
        data=lambda wc: data_dir(wc.experiment),
    log:
        f"{LOGS}/evaluate/{{experiment}}.seed{{seed}}.{{variant}}.{{protocol}}.log",
    benchmark:
        f"{BENCH}/evaluate/{{experiment}}.seed{{seed}}.{{variant}}.{{protocol}}.tsv"
    threads: 1
    shell:
        "wstal evaluate --annotations {params.data:q} --predictions {input.predictions} --subset test "
        "--protocol {wildcards.protocol} --tiou 0.1:0.7:0.1 --output {output} > {log} 2>&1"
