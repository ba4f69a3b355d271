"""Datasets: typed records, file formats (reduced, pickle-free), the synthetic generator."""

from wstal.data.records import Dataset, Video

__all__ = ["Dataset", "Video"]
