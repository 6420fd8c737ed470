"""`make bench`: the project against the engine floor and dcos-deploy on a local sandbox.

`python -m benchmarks --help` lists the knobs. No test asserts a time: this prints figures.
"""
