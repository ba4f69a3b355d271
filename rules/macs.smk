# MACs of every model of RSKP table7 (and CMCS for reference): results/macs.json.


rule macs:
    output:
        str(LAYOUT.macs),
    params:
        code=code("macs"),
    log:
        "results/logs/macs.log",
    benchmark:
        "results/benchmarks/macs.tsv"
    threads: 1
    shell:
        on_failure(
            "wstal macs --out {output:q} > {log:q} 2>&1")
