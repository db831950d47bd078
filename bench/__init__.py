"""Benchmarks (``make bench``): medians and ratios on this machine, never timed tests."""
