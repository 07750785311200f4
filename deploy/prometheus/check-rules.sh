#!/usr/bin/env bash
# Validate AegisOps's Kubernetes alerting rules: `promtool check rules` on both profiles, then the
# `promtool test rules` unit tests of both. Exits non-zero on the first failure.
# Usage: deploy/prometheus/check-rules.sh   (from anywhere; PROMTOOL overrides the binary)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
promtool="${PROMTOOL:-promtool}"

if ! command -v "$promtool" >/dev/null 2>&1; then
  echo "check-rules: $promtool not found (Debian: apt-get install prometheus)" >&2
  exit 2
fi

cd "$here"
echo "check-rules: using $("$promtool" --version 2>&1 | head -n 1)"

for profile in aegisops-kubernetes aegisops-kubernetes-fast; do
  echo "check-rules: promtool check rules rules/$profile.yml"
  "$promtool" check rules "rules/$profile.yml"
done

for profile in aegisops-kubernetes aegisops-kubernetes-fast; do
  echo "check-rules: promtool test rules tests/$profile.test.yml"
  "$promtool" test rules "tests/$profile.test.yml"
done

echo "check-rules: OK (2 rule files checked, 2 test files passed)"
