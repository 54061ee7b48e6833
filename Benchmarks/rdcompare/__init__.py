"""Pieces of Benchmarks/rd_compare.py: our targets (specs), the peer codecs, the metrics,
the curves and BD-rates, the markdown summary and the SVG plot. One concept per module."""
