"""Benchmarks run by `wstal bench` (`step`: one training step, ours vs the released code's loop)."""
