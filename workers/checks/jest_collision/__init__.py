"""The jest-collision check: every ``jest-collision/*`` rule (``check.py``), and how it
predicts Jest: the config as Jest reads it (``config.py``, Nx in ``nx_jest.py``), JavaScript
configs read without running them (``js_static.py``) or else in an embedded engine,
QuickJS by default (``js_eval.py``, ``js_engine.py``, ``js_contain.py``), JavaScript regular
expressions (``js_regex.py``), the shared pieces (``tree.py``) and the haste map
(``haste_map.py``); its rules are in ``rules.py``."""
