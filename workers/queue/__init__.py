"""The queue side of the workers: the dispatcher that turns inbox entries into RQ jobs
(``dispatch``). Which check runs a job owns is ``workers.runs``."""
