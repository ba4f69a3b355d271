# MACs of every model of RSKP table7 (and CMCS for reference): results/macs.json.


rule macs:
    input:
        code=job_sources("macs"),
    output:
        str(LAYOUT.macs),
    log:
        "results/logs/macs.log",
    benchmark:
        "results/benchmarks/macs.tsv"
    threads: 1
    shell:
        "{ENV} wstal macs --out {output} > {log} 2>&1"
