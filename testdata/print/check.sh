#!/usr/bin/env bash
# make print-check: headless Chromium prints the HTML report of a failing run to PDF, and
# runner/print_test.go checks the printed text (docs/reports.md). Installs chromium and
# poppler-utils (pdftotext) with apt-get when they are missing, which needs root; the PDF, its text
# and the reports stay in .print-check/. Exit codes: 0 the report prints whole, 1 it does not,
# 2 the check could not be made.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "print-check: needs ${need[*]}: install them (apt-get install ${need[*]}), or run as root on Debian, where print-check installs them" >&2
		exit 2
	fi
	echo "print-check: installing ${need[*]}"
	# Bounded, so a mirror that hangs ends the check instead of the CI job.
	if ! timeout 300 apt-get update -qq || ! DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${need[@]}" >/dev/null; then
		echo "print-check: apt-get could not install ${need[*]}" >&2
		exit 2
	fi
fi

mkdir -p .print-check
set +e
CONFORMANCE_PRINT_CHECK=1 CONFORMANCE_PRINT_DIR="$PWD/.print-check" \
	timeout 300 "$GO" test -count=1 -run '^TestReportPrintsWhole$' -v ./runner
code=$?
set -e
case $code in
0) echo "print-check: report.html prints whole (.print-check/report.pdf)" ;;
1) echo "print-check: report.html does not print whole; see .print-check/report.txt" >&2 ;;
*) echo "print-check: the check could not be made (exit $code)" >&2; code=2 ;;
esac
exit $code
