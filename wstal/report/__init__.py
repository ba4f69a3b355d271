"""Presentation: run metrics -> tables, figures, claim verdicts (never trains anything)."""
