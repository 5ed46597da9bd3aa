"""A piece of work's check runs, from creation to conclusion, in one place.

``book`` records in Redis which runs a job owns (so a retry, a rerun and the announce job
agree on one set); ``lifecycle`` creates them once (adopting what a lost request made),
ends GitHub's stray copies as their runs end (``sweeps`` looks again later for copies
a lost request may still make), and concludes them, with the acceptance and
``could-not-run`` policy that decide a run that could not judge. The jobs use it through
``Runs``; a job's ``Work`` keeps the request, the installation and the phases.
"""
