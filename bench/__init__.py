"""Benchmarks: ``make bench`` runs ``python -m bench``. Figures are printed, never asserted."""
