"""The queue side of the workers: the dispatcher that turns inbox entries into RQ jobs
(``dispatch``) and the run book that remembers which check runs a job owns (``runbook``)."""
