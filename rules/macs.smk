# MACs of every model of RSKP table7 (and CMCS for reference): results/macs.json.


rule macs:
    output:
        str(LAYOUT.macs),
    log:
        "results/logs/macs.log",
    benchmark:
        "results/benchmarks/macs.tsv"
    conda:
        "../environment.yml"
    threads: 1
    params:
        code=code("macs"),
    shell:
        on_failure("wstal macs --out {output:q} > {log:q} 2>&1")
