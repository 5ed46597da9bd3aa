"""The names other tools are built against: the checks, and their check runs' prefix.

Never rename them: branch protection rules require ``prgate/<check>`` by name.
"""

CHECK_NAMES = (
    "contamination",
    "jest-collision",
    "hook-validation",
    "ts-imports",
    "nx-generators",
)
CHECK_RUN_PREFIX = "prgate/"  # check runs are "prgate/<check>"
