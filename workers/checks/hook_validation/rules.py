"""The hook-validation check's rules: ids, levels, summaries and the text docs and SARIF show.

Nothing heavy is imported here: the configuration validates rule names and the registry
lists rules without loading the check."""

from __future__ import annotations

from workers.engine.findings import Level, rule

NAME = "hook-validation"


MISSING_TASK_SCRIPT = rule(
    NAME,
    "missing-task-script",
    Level.ERROR,
    "A task runs a script that is not in the template",
    "Copier runs tasks after rendering; a script that is missing, or not committed, makes "
    "the task fail in every generated project (or never run its validation).",
    doc="a task or migration runs a script that is not in the template, or not committed",
)
RELATIVE_TASK_SCRIPT = rule(
    NAME,
    "relative-task-script",
    Level.ERROR,
    "A task names its script relative to the destination",
    "Tasks run in the generated project, so `python hooks/x.py` looks for the script there. "
    "Use `{{ _copier_conf.src_path }}/hooks/x.py`.",
    doc=(
        "a script path without `{{ _copier_conf.src_path }}` (it resolves in the generated project)"
    ),
)
DEAD_HOOK = rule(
    NAME,
    "dead-hook",
    Level.WARNING,
    "A hook script no task runs",
    "Copier has no pre- or post-generation hooks of its own: a script runs only when a task "
    "or migration names it. A dead hook that validates the answers (fails on a bad one) is "
    "an error: the template's input validation silently never happens.",
    doc=(
        "a hook script no task or migration runs (modules hooks import — `__init__.py`, "
        "`hooks/lib/…`, a module imported by name — are not hooks)"
    ),
)
HOOKS_RENDERED = rule(
    NAME,
    "hooks-rendered",
    Level.ERROR,
    "Hook folder copied into every generated project",
    "Without `_subdirectory`, everything beside copier.yml is rendered: hooks end up in "
    "each project. Set `_subdirectory` or add the folder to `_exclude`.",
    doc=(
        "a hook folder beside a `copier.yml` without `_subdirectory`, so it is copied into "
        "every project"
    ),
)
CONTEXT_FILE = rule(
    NAME,
    "context-file",
    Level.ERROR,
    "A hook reads a context file Copier never writes",
    "Copier writes no JSON context; validation that waits for one never runs.",
    doc="a Python hook reads `copier_answers.json`, `cookiecutter.json` or `*context*.json`",
)
SILENT_SKIP = rule(
    NAME,
    "silent-skip",
    Level.ERROR,
    "A hook succeeds when its input is missing",
    "Returning or exiting 0 when answers are absent turns validation into a no-op.",
    doc=(
        "a Python hook exits 0 when its input is missing, or returns then from its entry "
        "point (the function its module-level code calls; a helper's `return` is not an exit)"
    ),
)
ENV_ANSWERS = rule(
    NAME,
    "env-answers",
    Level.ERROR,
    "A hook reads answers from environment variables",
    "Copier's task environment has STAGE, COPIER_OPERATION and VERSION_*; never answers.",
    doc=(
        "a Python hook reads an answer from the environment, which Copier never sets: a "
        "variable named after a question (`PROJECT_NAME`, `COPIER_PROJECT_NAME`) or an "
        "answers channel (`*ANSWER*`); switches such as `COPIER_SKIP_PROJECT_SETUP` are not "
        "answers"
    ),
)
ERROR_EXIT_ZERO = rule(
    NAME,
    "error-exit-zero",
    Level.ERROR,
    "A hook reports an error but exits 0",
    "Copier only sees the exit status; an error message with status 0 passes.",
    doc="a Python hook prints an error, then exits 0",
)
NO_INPUT = rule(
    NAME,
    "no-input",
    Level.WARNING,
    "A hook never reads its input",
    "A validation script that reads neither its arguments nor the answers file checks nothing.",
    doc="a Python hook never reads `sys.argv`, stdin or the answers file",
)
UNPARSABLE_HOOK = rule(
    NAME,
    "unparsable-hook",
    Level.ERROR,
    "A Python hook does not parse",
    "The task will fail with a SyntaxError in every generated project.",
    doc="a Python hook that does not parse",
)
COPIERIGNORE = rule(
    NAME,
    "copierignore",
    Level.WARNING,
    "`.copierignore` is not read by Copier",
    "Copier copies `.copierignore` into generated projects and ignores its patterns; "
    "move them into `_exclude`.",
    doc="`.copierignore`, which Copier never reads (move the patterns into `_exclude`)",
)
EXCLUDE_DROPS_DEFAULTS = rule(
    NAME,
    "exclude-drops-defaults",
    Level.WARNING,
    "`_exclude` drops Copier's default exclusions",
    "Setting `_exclude` replaces Copier's default list, so copier.yml, .git, __pycache__ "
    "and the like are rendered unless listed again.",
    doc=(
        "an `_exclude` whose own patterns do not cover Copier's default exclusions (named: "
        "only those really lost, matched as Copier matches)"
    ),
)
UNVALIDATED_PATH_QUESTION = rule(
    NAME,
    "unvalidated-path-question",
    Level.ERROR,
    "A question used in a path has no validator that rejects unsafe answers",
    "Copier renders answers into file and folder names. Validators are the only check before "
    "rendering; one that lets '/', '..', a leading '.' or '~', empty answers or newlines "
    "through nests, flattens, drops or misplaces the generated files.",
    doc='a question whose answer is written (`{{ name }}`, not only tested in an `{% if %}`) into a file or folder name, `_subdirectory`, `_answers_file` or a task\'s `working_directory` whose validator is missing, never runs (`when: false`, `secret`) or accepts `../x`, `a/b`, `/abs`, `""`, `abc\\n`, `~x`, `.` or `a\\b`',
)
SHELL_INTERPOLATION = rule(
    NAME,
    "shell-interpolation",
    Level.ERROR,
    "An answer is pasted into a string-form shell task",
    "A string task runs through the shell after Jinja rendering: an answer with a quote or ';' "
    "becomes shell code. Use the list form, one argument per item.",
    doc=(
        "a string-form task with an answer in it (an answer with `;` or a quote runs as shell code)"
    ),
)
ONE_SHOT_TASK = rule(
    NAME,
    "one-shot-task",
    Level.WARNING,
    "A one-shot task also runs on update",
    "Tasks run on copy, on update and (during updates) on the old and new versions: `git init` "
    "or `rm` without `when: \"{{ _copier_operation == 'copy' }}\"` run again each time.",
    doc=(
        "`git init`, `rm`, … without `when: \"{{ _copier_operation == 'copy' }}\"` (runs on "
        "every update too)"
    ),
)
RENDER_FAILED = rule(
    NAME,
    "render-failed",
    Level.ERROR,
    "The template does not render with its defaults",
    "Render mode: `copier copy --defaults` fails, so every user who accepts the defaults gets an error.",
    doc=(
        "with `--render`: the template does not render with its defaults (Copier's error, or "
        "the time limit)"
    ),
)
UNSAFE_ANSWER_ACCEPTED = rule(
    NAME,
    "unsafe-answer-accepted",
    Level.ERROR,
    "An unsafe answer to a path question renders",
    "Render mode: answering a question used in a path with ../x, a/b, /abs, '', a newline, ~x, . or a backslash must fail; this one rendered.",
    doc=(
        "with `--render`: Copier renders an unsafe answer to a path question (`../x`, `a/b`) "
        "without refusing it"
    ),
)
RENDERED_CONTAMINATION = rule(
    NAME,
    "rendered-contamination",
    Level.ERROR,
    "The rendered project is contaminated",
    "Render mode: the project rendered from the defaults contains what the contamination rules forbid, even if the template source looks clean.",
    doc=(
        "with `--render`: the rendered project is contaminated; reported on the template file "
        "that produced it"
    ),
)
LEAKED_MACHINERY = rule(
    NAME,
    "leaked-machinery",
    Level.ERROR,
    "Template machinery leaks into generated projects",
    "Render mode: copier.yml, hook folders, .copierignore or unrendered Jinja in file names end up in the rendered project.",
    doc=(
        "with `--render`: `copier.yml`, hook folders or other template machinery end up in "
        "the generated project"
    ),
)
PYTEST_COPIER_PATHS = rule(
    NAME,
    "pytest-copier-paths",
    Level.WARNING,
    "pytest-copier copies the whole repository",
    "Without a `copier_template_paths` fixture, pytest-copier copies everything, "
    "node_modules included, for every test.",
    doc=(
        "a conftest uses pytest-copier, and neither it nor a parent conftest defines a "
        "`copier_template_paths` fixture that returns something (read from the code, not the "
        "text)"
    ),
)
RULES = (
    MISSING_TASK_SCRIPT,
    RELATIVE_TASK_SCRIPT,
    DEAD_HOOK,
    HOOKS_RENDERED,
    CONTEXT_FILE,
    SILENT_SKIP,
    ENV_ANSWERS,
    ERROR_EXIT_ZERO,
    NO_INPUT,
    UNPARSABLE_HOOK,
    COPIERIGNORE,
    EXCLUDE_DROPS_DEFAULTS,
    UNVALIDATED_PATH_QUESTION,
    SHELL_INTERPOLATION,
    ONE_SHOT_TASK,
    RENDER_FAILED,
    UNSAFE_ANSWER_ACCEPTED,
    RENDERED_CONTAMINATION,
    LEAKED_MACHINERY,
    PYTEST_COPIER_PATHS,
)
