#!/usr/bin/env bash
# The action's check step (action.yml): one SARIF run for code scanning, one
# compact run whose lines GitHub's problem matcher turns into annotations on
# the pull request's diff (they show even where code scanning is not enabled).
# Inputs come as CFL_* environment variables; outputs go to $GITHUB_OUTPUT.
set -uo pipefail
set -f   # globs in CFL_EXCLUDE and CFL_PATHS are citrix-flow-lint's to expand, not the shell's

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
sarif="$out_dir/citrix-flow-lint.sarif"
output="${GITHUB_OUTPUT:-/dev/null}"

read -r -a paths <<< "${CFL_PATHS:-.}"
[ "${#paths[@]}" -gt 0 ] || paths=(.)
args=(--severity-threshold "${CFL_THRESHOLD:-warning}")
[ -n "${CFL_ROLES:-}" ] && args+=(--roles "$CFL_ROLES")
[ -n "${CFL_BASELINE:-}" ] && args+=(--baseline "$CFL_BASELINE")
for glob in ${CFL_EXCLUDE:-}; do args+=(--exclude "$glob"); done

docs="${CFL_DOCS_URL:-}"
if [ -z "$docs" ] && [ -n "${CFL_ACTION_REPOSITORY:-}" ]; then
  docs="https://github.com/$CFL_ACTION_REPOSITORY/blob/${CFL_ACTION_REF:-main}/docs/checks/"
fi
sarif_args=()
[ -n "$docs" ] && sarif_args+=(--docs-url "$docs")

citrix-flow-lint check "${paths[@]}" "${args[@]}" --format sarif "${sarif_args[@]}" > "$sarif"
status=$?

echo "::add-matcher::$here/problem-matcher.json"
citrix-flow-lint check "${paths[@]}" "${args[@]}" --format compact --exit-zero
echo "::remove-matcher owner=citrix-flow-lint::"

echo "exit-code=$status" >> "$output"
# Status 2 writes no log (the message is on stderr); an empty file would fail the upload with a less useful error.
if [ -s "$sarif" ]; then echo "sarif-file=$sarif" >> "$output"; fi
exit 0
