"""Many seeds and sweeps with Ray Tune (the optional ``sweep`` extra): each trial is an ordinary rltui run.

``spec`` parses what a person asks for, ``trial`` is the function a Tune trial runs (a Trainer in a Ray
worker, reporting its evaluations), ``driver`` starts Ray, runs the Tuner and writes the run store from
the results it receives, ``stats`` and ``summary`` turn a sweep's runs into figures people can read.
Nothing here imports Ray at module level except ``trial`` and ``driver``, which only a sweep loads.
"""
