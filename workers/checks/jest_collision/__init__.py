"""The jest-collision check: every ``jest-collision/*`` rule (``check.py``), and how it
predicts Jest: the config as Jest reads it (``config.py``, Nx in ``nx_jest.py``), JavaScript
configs in an isolated V8 (``js_sandbox.py``, ``js_static.py``, ``js_regex.py``) and the
haste map (``haste_map.py``)."""
