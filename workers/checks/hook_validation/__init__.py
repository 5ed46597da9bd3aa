"""The hook-validation check: every ``hook-validation/*`` rule (``check.py``), hook scripts
read as Python (``hook_ast.py``), and render mode (``hook_render.py``, which runs Copier
through ``render.py``)."""
