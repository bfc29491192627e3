#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages SyncDesk builds and tests with, only those missing.
# The README's "System packages" table says why each is needed. Used by scripts/setup.sh
# and .ci/run.
set -uo pipefail
# python3, make, g++, libsecret-1-dev: building keytar and better-sqlite3 from source.
# dbus, gnome-keyring: the real keychain tests. chromium: Playwright e2e. unison, rclone: the
# benchmark's peers. postgresql: the database tests. time: peak memory in the benchmark.
packages=(python3 make g++ libsecret-1-dev dbus gnome-keyring chromium unison rclone postgresql time)

# Not `dpkg -s | grep -q`: grep stops reading at the match, dpkg -s then dies of SIGPIPE on a
# long description, and pipefail turns that into "missing".
installed() {
  local info
  info=$(dpkg -s "$1" 2>/dev/null) || return 1
  [[ $'\n'"$info"$'\n' == *$'\nStatus: install ok installed\n'* ]]
}

if ! command -v dpkg >/dev/null 2>&1; then
  echo "This is not a Debian/Ubuntu system: install the equivalents of ${packages[*]} with your package manager." >&2
  exit 1
fi
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "System packages already installed: ${packages[*]}"
  exit 0
fi
echo "Installing system packages: ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Not root and no sudo: cannot install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q || { echo "apt-get update failed" >&2; exit 1; }
"${as_root[@]}" apt-get install -y -q "${missing[@]}" || { echo "apt-get install ${missing[*]} failed" >&2; exit 1; }
for p in "${missing[@]}"; do
  installed "$p" || { echo "Package $p is still not installed" >&2; exit 1; }
done
