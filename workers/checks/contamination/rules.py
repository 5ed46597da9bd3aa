"""The contamination check's rules: ids, levels, summaries and the text docs and SARIF show.

Nothing heavy is imported here: the configuration validates rule names and the registry
lists rules without loading the check."""

from __future__ import annotations

from workers.engine.findings import Level, rule

NAME = "contamination"


ENV_FILE = rule(
    NAME,
    "env-file",
    Level.ERROR,
    "Plaintext env file inside a template",
    "`.env`, `.env.*` and `*.env` files carry real settings into every generated project. "
    "Ship `.env.example` (placeholders only) instead and exclude the real file.",
    doc=(
        "`.env`, `.env.*`, `*.env`, except the example family (`.env.example`, `.env.sample`, "
        "`.env.template`, `.env.dist`, …). `.env.local.bak` is still an env file."
    ),
)
BACKUP_FILE = rule(
    NAME,
    "backup-file",
    Level.ERROR,
    "Editor or merge backup inside a template",
    "`*.bak`, `*.orig`, `*.rej`, `*~`, `*.swp`, `*.swo` and `.#*` are leftovers of an editor "
    "or a merge and end up in every generated project.",
    doc="`*.bak`, `*.orig`, `*.rej`, `*~`, `*.swp`, `*.swo`, `.#*`",
)
LOCAL_STATE = rule(
    NAME,
    "local-state",
    Level.ERROR,
    "Local machine state inside a template",
    "Lock files that are not package-manager lockfiles, `*.pid`, Terraform state and docker "
    "buildx state belong to one machine, not to a template.",
    doc=(
        "`*.lock` that is not a package-manager lockfile (`yarn.lock`, `Cargo.lock`, "
        "`uv.lock`, `poetry.lock`, … are fine), `*.pid`, `terraform.tfstate*`, `.terraform/`, "
        "docker `buildx/` state"
    ),
)
BUILD_ARTIFACT = rule(
    NAME,
    "build-artifact",
    Level.ERROR,
    "Build output or dependency folder inside a template",
    "`node_modules/`, `dist/`, `target/`, caches and virtualenvs are generated; committing "
    "them into a template copies them into every project.",
    doc=(
        "`node_modules/`, `dist/`, `target/`, `__pycache__/`, `*.pyc`, tool caches, `.venv/`, "
        "`.nx/`, `.turbo/`, `.next/`, `coverage/`, `*.egg-info/` — one finding per top-most "
        "folder"
    ),
)
OS_JUNK = rule(
    NAME,
    "os-junk",
    Level.WARNING,
    "Operating-system junk file inside a template",
    "`.DS_Store`, `Thumbs.db` and `desktop.ini` are written by file managers.",
    doc="`.DS_Store`, `Thumbs.db`, `desktop.ini`",
)
SYMLINK = rule(
    NAME,
    "symlink",
    Level.ERROR,
    "A symlink in a template that dangles or leaves it",
    "A committed symlink whose target is not in the repository, or lies outside the "
    "template, makes `copier copy` fail (or copy a file from outside) for every user. "
    "Commit the file itself, or point the link inside the template.",
    doc=(
        "a committed symlink in a template that dangles (its target is not in the "
        "repository), is absolute, or points out of the template folder: `copier copy` fails "
        "on it for every user. Judged from the link's text; never followed"
    ),
)
SECRET = rule(
    NAME,
    "secret",
    Level.ERROR,
    "Secret committed in plain text",
    "Private keys, tokens and secret-named values anywhere in the repository. Rotate the "
    "secret, remove it from the file and history, and load it at run time instead.",
    doc=(
        "**anywhere in the repository**: private key blocks (one protected by a passphrase "
        "is a warning), GitHub tokens (`ghp_`, `gho_`, "
        "`ghs_`, `ghu_`, `ghr_`, `github_pat_`), AWS access key ids, Slack tokens and "
        "webhooks, Google API keys, Stripe live keys, and real-looking values of `*TOKEN*`, "
        "`*SECRET*`, `*PASSWORD*`, `*API_KEY*` keys in env files (one under eight characters "
        "or of lowercase letters alone is a warning)"
    ),
)
RULES = (ENV_FILE, BACKUP_FILE, LOCAL_STATE, BUILD_ARTIFACT, OS_JUNK, SYMLINK, SECRET)
