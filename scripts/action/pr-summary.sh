#!/usr/bin/env bash
# The action's pull-request step (action.yml): what the change does to the
# required flows (`citrix-flow-lint diff`), in the job summary and as one
# comment on the pull request that later pushes update instead of repeating.
set -uo pipefail
set -f

out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
md="$out_dir/citrix-flow-lint-diff.md"
marker='<!-- citrix-flow-lint diff -->'

# actions/checkout fetches one commit by default; the base is needed too.
git fetch --no-tags --depth=1 origin "$CFL_BASE_SHA" >/dev/null 2>&1 || true

read -r -a paths <<< "${CFL_PATHS:-.}"
args=()
for p in "${paths[@]}"; do [ "$p" = . ] || args+=(--path "$p"); done
[ -n "${CFL_ROLES:-}" ] && args+=(--roles "$CFL_ROLES")

citrix-flow-lint diff "$CFL_BASE_SHA" HEAD "${args[@]}" --format markdown > "$md"
status=$?
if [ "$status" -eq 2 ] || [ ! -s "$md" ]; then
  echo "::warning::citrix-flow-lint diff could not compare with the base commit (exit $status)"
  exit 0
fi
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$md" >> "$GITHUB_STEP_SUMMARY"

if [ -z "${CFL_PR_NUMBER:-}" ] || [ -z "${GH_TOKEN:-}" ] || ! command -v gh >/dev/null 2>&1; then exit 0; fi
repo="${GITHUB_REPOSITORY:?}"
existing="$(gh api "repos/$repo/issues/$CFL_PR_NUMBER/comments" --paginate --jq ".[] | select(.body | contains(\"$marker\")) | .id" 2>/dev/null | head -n 1)"
# A change that does nothing to the flows gets no new comment; an earlier one is updated so it is not left stale.
if [ "$status" -eq 0 ] && [ -z "$existing" ]; then exit 0; fi
if [ -n "$existing" ]; then
  gh api -X PATCH "repos/$repo/issues/comments/$existing" -F "body=@$md" >/dev/null || echo "::warning::could not update the pull-request comment (does the token have pull-requests: write?)"
else
  gh api -X POST "repos/$repo/issues/$CFL_PR_NUMBER/comments" -F "body=@$md" >/dev/null || echo "::warning::could not comment on the pull request (does the token have pull-requests: write?)"
fi
exit 0
