"""The parts of benchmarks/engine_throughput.py (see its docstring for what is measured);
part 2, the live RTSP cameras, also serves ``people_accuracy.py --live`` (``people.py``)."""
