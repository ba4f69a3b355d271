# One training job per (experiment, seed).
# Output: train_summary.json, which `wstal train` writes last. The checkpoint model.pt is
# deliberately not an output: Snakemake deletes the outputs of an interrupted job before
# re-running it, and the checkpoint is what an interrupted run resumes from.
# Resume or restart: the shell leaves a marker (.trained-by-workflow) after a successful job.
# A job that starts while the marker exists re-runs a finished training because its code or
# params changed, so it starts over (--no-resume); without the marker the run is new or was
# interrupted, and `wstal train` resumes from its last checkpoint.
# Inputs: the prepared data and the wstal/ sources the training can import (other methods'
# modules excluded), so a code change re-runs exactly the trainings it can affect; the
# experiment's overrides are a param (Snakemake's params trigger re-runs on a change).


rule train:
    input:
        data=lambda wc: prepared_files(wc.experiment),
        code=lambda wc: job_sources("train", method_of(wc.experiment), METHODS),
    output:
        f"{RUNS}/{{experiment}}/seed{{seed}}/train_summary.json",
    params:
        overrides=lambda wc: json.dumps(dict(CATALOG.experiment(wc.experiment).overrides), sort_keys=True),
        method=lambda wc: method_of(wc.experiment),
        data=lambda wc: data_dir(wc.experiment),
        out=lambda wc: f"{RUNS}/{wc.experiment}/seed{wc.seed}",
    resources:
        gpu=1,
    log:
        f"{LOGS}/train/{{experiment}}.seed{{seed}}.log",
    benchmark:
        f"{BENCH}/train/{{experiment}}.seed{{seed}}.tsv"
    threads: THREADS
    shell:
        "marker={params.out}/.trained-by-workflow; restart=''; "
        "if [ -e $marker ]; then restart=--no-resume; rm -f $marker; fi; "
        "{ENV} wstal train --experiment {wildcards.experiment} --seed {wildcards.seed} "
        "--dataset {config[dataset]} --data {params.data:q} --scale {config[scale]} --out {params.out} "
        "--device {config[device]} --threads {threads} --progress log $restart > {log} 2>&1 && touch $marker"
