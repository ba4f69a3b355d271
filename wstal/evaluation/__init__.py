"""Internals of `wstal.evaluate`: ground truth, predictions, matching, AP rules, protocols."""
