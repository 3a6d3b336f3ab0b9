"""Scripts that measure the toolkit and print ratios and sizes; run them as modules from the
repository root, e.g. ``python -m benchmarks.bench_analysis``, or all at once with
``python3 dev.py bench``."""
