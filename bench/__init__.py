"""Benchmarks and accuracy measurements (make bench, make accuracy). Not part of the service."""
