"""Benchmarks of the sandbox: ``python -m bench`` runs them all; each module also runs on its own.

They print figures and ratios against baselines measured in the same run and never fail on timings:
machines differ, so only a ratio measured side by side says something about the sandbox itself.
"""
