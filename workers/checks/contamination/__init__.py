"""The contamination check: every ``contamination/*`` rule (``check.py``) and its secret
detectors (``secrets.py``)."""
