"""The parts of benchmarks/engine_throughput.py (see its docstring for what is measured)."""
