"""Data in and out: file formats, the demo data set and the synthetic generator."""
