# One training job per (experiment, seed).
# Output: train_summary.json, which `wstal train` writes last. The checkpoint model.pt is
# deliberately not an output: Snakemake deletes the outputs of an interrupted job before
# re-running it, and the checkpoint is what an interrupted run resumes from.
# Resume or restart: the shell leaves a marker (.trained-by-workflow) after a successful job.
# A job that starts while the marker exists re-runs a finished training because its code or
# params changed, so it starts over (--no-resume); without the marker the run is new or was
# interrupted, and `wstal train` resumes from its last checkpoint.
# Code: the `code` param digests the syntax trees of what the training imports (its own
# method, not the others; no report code), so only a change in what that code does re-runs
# it; the experiment's overrides are a param too.
# No `benchmark:`: sampling a job's process tree cost Snakemake about 0.5 s of its own CPU per
# training (a seventh of the default DAG); the training records its process's CPU time in
# train_summary.json (`timing.process_cpu_s`) and `wstal bench jobs` sums them per family.


rule train:
    input:
        data=lambda wc: prepared_files(wc.experiment),
    output:
        f"{RUNS}/{{experiment}}/seed{{seed}}/train_summary.json",
    log:
        f"{LOGS}/train/{{experiment}}.seed{{seed}}.log",
    conda:
        "../environment.yml"
    threads: THREADS
    resources:
        gpu=1,
    params:
        overrides=lambda wc: json.dumps(
            dict(CATALOG.experiment(wc.experiment).overrides), sort_keys=True
        ),
        method=lambda wc: method_of(wc.experiment),
        code=lambda wc: code("train", method_of(wc.experiment)),
        data=lambda wc: data_dir(wc.experiment),
        out=lambda wc: f"{RUNS}/{wc.experiment}/seed{wc.seed}",
        dataset=config["dataset"],
        scale=config["scale"],
        device=config["device"],
    shell:
        on_failure(
            "marker={params.out:q}/.trained-by-workflow; restart=''; "
            'if [ -e "$marker" ]; then restart=--no-resume; rm -f "$marker"; fi; '
            "wstal train --experiment {wildcards.experiment:q} --seed {wildcards.seed} "
            "--dataset {params.dataset:q} --data {params.data:q} --scale {params.scale:q} --out {params.out:q} "
            "--device {params.device:q} --threads {threads} --progress log $restart > {log:q} 2>&1 "
            '&& touch "$marker"'
        )
