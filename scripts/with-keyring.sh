#!/usr/bin/env bash
# Runs its arguments inside a private D-Bus session with a fresh, unlocked gnome-keyring.
#
# Why: the keychain tests use real keytar and libsecret (DESIGN.md, "Testing with real parts").
# A private session means they never touch a user's own keyring, and a fresh keyring directory
# means no existing keyring with another password stays locked. `npm test` runs vitest
# through this script. It tells the tests what it did: SYNCDESK_KEYRING=ready, or
# SYNCDESK_KEYRING_PROBLEM=<why not>. Without dbus-run-session or gnome-keyring-daemon it warns
# and runs the command anyway: the keychain tests then skip, or fail when CI=true.
#
# Usage: scripts/with-keyring.sh <command> [args...]
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: scripts/with-keyring.sh <command> [args...]" >&2
  exit 2
fi

if [ "$1" = "--inside-session" ]; then
  # Second stage, inside dbus-run-session: start the keyring, run the command, clean up.
  shift
  dir=$(mktemp -d "${TMPDIR:-/tmp}/syncdesk-keyring.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
  mkdir -m 700 "$dir/data" "$dir/runtime"
  # The password only unlocks this throwaway keyring; the daemon reads it from stdin.
  if out=$(printf %s pw | XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/runtime" \
             gnome-keyring-daemon --unlock --components=secrets); then
    # The daemon prints NAME=value lines (GNOME_KEYRING_CONTROL, ...): export them.
    while IFS= read -r line; do
      case "$line" in
        [A-Za-z_]*=*) export "${line?}" ;;
      esac
    done <<<"$out"
    export SYNCDESK_KEYRING=ready
    unset SYNCDESK_KEYRING_PROBLEM
  else
    echo "with-keyring: warning: gnome-keyring-daemon did not start; running without a keyring" >&2
    export SYNCDESK_KEYRING_PROBLEM="gnome-keyring-daemon did not start (see the warning above)"
    unset SYNCDESK_KEYRING
  fi
  set +e
  "$@"
  status=$?
  exit "$status"
fi

missing=()
command -v dbus-run-session >/dev/null 2>&1 || missing+=(dbus)
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "with-keyring: warning: missing Debian package(s) ${missing[*]} (no dbus-run-session/gnome-keyring-daemon); running without a keyring" >&2
  export SYNCDESK_KEYRING_PROBLEM="missing Debian package(s) ${missing[*]} (apt-get install ${missing[*]})"
  unset SYNCDESK_KEYRING
  exec "$@"
fi

exec dbus-run-session -- bash "${BASH_SOURCE[0]}" --inside-session "$@"
