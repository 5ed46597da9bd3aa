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
)
RELATIVE_TASK_SCRIPT = rule(
    NAME,
    "relative-task-script",
    Level.ERROR,
    "A task names its script relative to the destination",
    "Tasks run in the generated project, so `python hooks/x.py` looks for the script there. "
    "Use `{{ _copier_conf.src_path }}/hooks/x.py`.",
)
DEAD_HOOK = rule(
    NAME,
    "dead-hook",
    Level.WARNING,
    "A hook script no task runs",
    "Copier has no pre- or post-generation hooks of its own: a script runs only when a task "
    "or migration names it. A dead hook that validates the answers (fails on a bad one) is "
    "an error: the template's input validation silently never happens.",
)
HOOKS_RENDERED = rule(
    NAME,
    "hooks-rendered",
    Level.ERROR,
    "Hook folder copied into every generated project",
    "Without `_subdirectory`, everything beside copier.yml is rendered: hooks end up in "
    "each project. Set `_subdirectory` or add the folder to `_exclude`.",
)
CONTEXT_FILE = rule(
    NAME,
    "context-file",
    Level.ERROR,
    "A hook reads a context file Copier never writes",
    "Copier writes no JSON context; validation that waits for one never runs.",
)
SILENT_SKIP = rule(
    NAME,
    "silent-skip",
    Level.ERROR,
    "A hook succeeds when its input is missing",
    "Returning or exiting 0 when answers are absent turns validation into a no-op.",
)
ENV_ANSWERS = rule(
    NAME,
    "env-answers",
    Level.ERROR,
    "A hook reads answers from environment variables",
    "Copier's task environment has STAGE, COPIER_OPERATION and VERSION_*; never answers.",
)
ERROR_EXIT_ZERO = rule(
    NAME,
    "error-exit-zero",
    Level.ERROR,
    "A hook reports an error but exits 0",
    "Copier only sees the exit status; an error message with status 0 passes.",
)
NO_INPUT = rule(
    NAME,
    "no-input",
    Level.WARNING,
    "A hook never reads its input",
    "A validation script that reads neither its arguments nor the answers file checks nothing.",
)
UNPARSABLE_HOOK = rule(
    NAME,
    "unparsable-hook",
    Level.ERROR,
    "A Python hook does not parse",
    "The task will fail with a SyntaxError in every generated project.",
)
COPIERIGNORE = rule(
    NAME,
    "copierignore",
    Level.WARNING,
    "`.copierignore` is not read by Copier",
    "Copier copies `.copierignore` into generated projects and ignores its patterns; "
    "move them into `_exclude`.",
)
EXCLUDE_DROPS_DEFAULTS = rule(
    NAME,
    "exclude-drops-defaults",
    Level.WARNING,
    "`_exclude` drops Copier's default exclusions",
    "Setting `_exclude` replaces Copier's default list, so copier.yml, .git, __pycache__ "
    "and the like are rendered unless listed again.",
)
UNVALIDATED_PATH_QUESTION = rule(
    NAME,
    "unvalidated-path-question",
    Level.ERROR,
    "A question used in a path has no validator that rejects unsafe answers",
    "Copier renders answers into file and folder names. Validators are the only check before "
    "rendering; one that lets '/', '..', a leading '.' or '~', empty answers or newlines "
    "through nests, flattens, drops or misplaces the generated files.",
)
SHELL_INTERPOLATION = rule(
    NAME,
    "shell-interpolation",
    Level.ERROR,
    "An answer is pasted into a string-form shell task",
    "A string task runs through the shell after Jinja rendering: an answer with a quote or ';' "
    "becomes shell code. Use the list form, one argument per item.",
)
ONE_SHOT_TASK = rule(
    NAME,
    "one-shot-task",
    Level.WARNING,
    "A one-shot task also runs on update",
    "Tasks run on copy, on update and (during updates) on the old and new versions: `git init` "
    "or `rm` without `when: \"{{ _copier_operation == 'copy' }}\"` run again each time.",
)
RENDER_FAILED = rule(
    NAME,
    "render-failed",
    Level.ERROR,
    "The template does not render with its defaults",
    "Render mode: `copier copy --defaults` fails, so every user who accepts the defaults gets an error.",
)
UNSAFE_ANSWER_ACCEPTED = rule(
    NAME,
    "unsafe-answer-accepted",
    Level.ERROR,
    "An unsafe answer to a path question renders",
    "Render mode: answering a question used in a path with ../x, a/b, /abs, '', a newline, ~x, . or a backslash must fail; this one rendered.",
)
RENDERED_CONTAMINATION = rule(
    NAME,
    "rendered-contamination",
    Level.ERROR,
    "The rendered project is contaminated",
    "Render mode: the project rendered from the defaults contains what the contamination rules forbid, even if the template source looks clean.",
)
LEAKED_MACHINERY = rule(
    NAME,
    "leaked-machinery",
    Level.ERROR,
    "Template machinery leaks into generated projects",
    "Render mode: copier.yml, hook folders, .copierignore or unrendered Jinja in file names end up in the rendered project.",
)
PYTEST_COPIER_PATHS = rule(
    NAME,
    "pytest-copier-paths",
    Level.WARNING,
    "pytest-copier copies the whole repository",
    "Without a `copier_template_paths` fixture, pytest-copier copies everything, "
    "node_modules included, for every test.",
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
