#!/usr/bin/env bash
# One-step set-up on a fresh machine: system packages (only those missing), then npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
npm install
