"""Everything prgate says to GitHub. ``client`` is the only module that imports githubkit;
``types`` (GitHub's objects and limits) and ``errors`` are plain Python, for the pure
publishing code and the jobs."""
