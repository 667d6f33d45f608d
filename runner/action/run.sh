#!/usr/bin/env bash
# The one script of the composite action (action.yml): it installs the pinned contacts-conformance
# with `go install`, runs it against the inputs, appends summary.md to the step summary, writes the
# step's outputs, and exits with the binary's own code (0 conformant or known failures, 1 failures
# or an out-of-date expectations file, 2 the run could not be made).
#
# Inputs arrive as INPUT_* variables and the token as CONFORMANCE_TOKEN, which the binary reads
# itself: it is never on a command line and never printed. `make test` runs this script with a fake
# GITHUB_* environment (runner/action_test.go).
set -euo pipefail

module=github.com/contacts-conformance/suite
version=${INPUT_VERSION:-}
out=${INPUT_OUT:-conformance-reports}
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script is the step of the action in runner/action}"
: "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set: this script is the step of the action in runner/action}"

# fail ends the step before the suite could run: exit 2, with a line in the summary saying why.
fail() {
	echo "::error::$1"
	printf '## Contacts API conformance: the run could not be made\n\n%s\n' "$1" >>"$GITHUB_STEP_SUMMARY"
	{
		echo "verdict="
		echo "exit-code=2"
		echo "report-dir=$out"
	} >>"$GITHUB_OUTPUT"
	exit 2
}

[ -n "$version" ] || fail "the version input is empty: give a release tag such as v0.2.0"
bin_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/contacts-conformance-bin"
mkdir -p "$bin_dir"
echo "::group::go install $module/runner/cmd/contacts-conformance@$version"
if ! GOBIN="$bin_dir" go install -trimpath "$module/runner/cmd/contacts-conformance@$version"; then
	echo "::endgroup::"
	fail "go install $module/runner/cmd/contacts-conformance@$version failed; the log above says why"
fi
echo "::endgroup::"
bin="$bin_dir/contacts-conformance"
"$bin" --version

args=(--out "$out")
[ -z "${INPUT_BASE_URL:-}" ] || args+=(--base-url "$INPUT_BASE_URL")
[ -z "${INPUT_CONTACT_ID:-}" ] || args+=(--contact-id "$INPUT_CONTACT_ID")
[ -z "${INPUT_FOREIGN_CONTACT_ID:-}" ] || args+=(--foreign-contact-id "$INPUT_FOREIGN_CONTACT_ID")
[ -z "${INPUT_EXPECT:-}" ] || args+=(--expect "$INPUT_EXPECT")
note=""
if [ -n "${INPUT_BASELINE:-}" ]; then
	# The first night has no earlier run: a missing baseline is said, not an error. A baseline
	# that exists but is not a results file still ends the run (exit 2).
	if [ -e "$INPUT_BASELINE" ]; then
		args+=(--baseline "$INPUT_BASELINE")
	else
		note="No baseline at \`$INPUT_BASELINE\` (the first run?): this run is not compared with an earlier one."
		echo "::notice::${note//\`/}"
	fi
fi
if [ -n "${INPUT_ARGS:-}" ]; then
	read -r -a extra <<<"$INPUT_ARGS"
	args+=("${extra[@]}")
fi

# Reports left by an earlier run in the same directory must not pass for this run's.
rm -f "$out/junit.xml" "$out/results.json" "$out/report.html" "$out/summary.md" "$out/badge.svg" "$out/signature.json"
set +e
"$bin" "${args[@]}"
code=$?
set -e

if [ -f "$out/summary.md" ]; then
	[ -z "$note" ] || printf '> %s\n\n' "$note" >>"$GITHUB_STEP_SUMMARY"
	cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
else
	printf '## Contacts API conformance: the run could not be made\n\ncontacts-conformance exited %d before writing its reports; the log says why.\n' "$code" >>"$GITHUB_STEP_SUMMARY"
fi
# results.json is indented by the suite itself: the verdict is the last top-level key.
verdict=""
if [ -f "$out/results.json" ]; then
	verdict=$(sed -n 's/^  "verdict": "\(.*\)",\{0,1\}$/\1/p' "$out/results.json" | tail -n 1)
fi
{
	echo "verdict=$verdict"
	echo "exit-code=$code"
	echo "report-dir=$out"
} >>"$GITHUB_OUTPUT"
exit "$code"
