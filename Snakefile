# wstal-repro workflow: every table and figure of the CMCS and RSKP supplements.
# Wiring only: the rules call `wstal` commands; targets come from config/catalog.yaml.
#   snakemake --cores all                        every artifact (synthetic default)
#   snakemake tables/table3.tex --cores all       one artifact and only what it needs
#   snakemake -n                                  the plan
#   snakemake --config dataset=thumos14 scale=paper --profile profiles/slurm
#   snakemake --config seeds=[0,1]                seeds for every scale (or seeds: [0, 1] in a --configfile)
from snakemake.utils import min_version, validate

from wstal.report.workflow import coerce_seeds

min_version("8.0")


configfile: "config/config.yaml"


coerce_seeds(config)  # `--config seeds=[0,1]` arrives as strings
validate(config, "config/schema.yaml")


report: "rules/report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/macs.smk"
include: "rules/tables.smk"
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
