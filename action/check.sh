#!/usr/bin/env bash
# The action's check step (action.yml): run prgate on the pull request, write SARIF, and
# report the exit status as an output instead of failing here, so the upload step runs.
#   PRGATE_PATH  folder to check (default .)      PRGATE_BASE  ref to gate against
#   PRGATE_ARGS  extra arguments for prgate check  GITHUB_OUTPUT  where outputs go
set -u
# A container job's checkout belongs to another user than the one the job runs as: git then
# refuses to read it ("dubious ownership") and prgate exits 2 rather than judge it as a
# plain folder. The workspace is the runner's own checkout: trust it, once.
if [ -n "${GITHUB_WORKSPACE:-}" ] &&
  ! git config --global --get-all safe.directory 2>/dev/null | grep -qxF "$GITHUB_WORKSPACE"; then
  git config --global --add safe.directory "$GITHUB_WORKSPACE"
fi
path="${PRGATE_PATH:-.}"
base="${PRGATE_BASE:-}"
if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
  base="origin/$GITHUB_BASE_REF"
fi
sarif="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/prgate.sarif"
args=(check "$path" --format sarif)
if [ -n "$base" ]; then
  args+=(--base "$base")
fi
# shellcheck disable=SC2206  # PRGATE_ARGS is a list of words, as a user writes them
args+=(${PRGATE_ARGS:-})
prgate "${args[@]}" > "$sarif"
code=$?
case "$code" in
  0) echo "prgate: no error-level finding" ;;
  1) echo "::error::prgate: error-level findings (see the code scanning alerts or the SARIF)" ;;
  2) echo "::error::prgate: a check could not run, or a usage error; see the log above" ;;
  *) echo "::error::prgate exited $code" ;;
esac
{
  echo "exit-code=$code"
  if [ -s "$sarif" ]; then echo "sarif-file=$sarif"; fi
} >> "${GITHUB_OUTPUT:-/dev/null}"
exit 0
