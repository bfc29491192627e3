#!/usr/bin/env bash
# Runs every test: vitest (unit and integration), then Playwright's end-to-end specs (e2e/).
# Both always run, so one failing suite still reports the other; the exit status is non-zero
# when either failed. `npm test` runs this inside scripts/with-keyring.sh.
#
# Usage: scripts/run-tests.sh [vitest arguments...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

npx vitest run "$@"
unit=$?
npx playwright test
e2e=$?
[ "$unit" -eq 0 ] && [ "$e2e" -eq 0 ]
