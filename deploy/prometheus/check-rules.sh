#!/usr/bin/env bash
# Validate alerting rules: `promtool check rules` on each profile, then the `promtool test rules` unit tests
# of each. Exits non-zero on the first failure.
# Usage: deploy/prometheus/check-rules.sh                  AegisOps's Kubernetes rules (both profiles)
#        deploy/prometheus/check-rules.sh DIR PROFILE...   DIR/rules/PROFILE.yml and DIR/tests/PROFILE.test.yml
# From anywhere; PROMTOOL overrides the binary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:-$here}"
shift || true
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(aegisops-kubernetes aegisops-kubernetes-fast)
promtool="${PROMTOOL:-promtool}"

if ! command -v "$promtool" >/dev/null 2>&1; then
  echo "check-rules: $promtool not found (Debian: apt-get install prometheus)" >&2
  exit 2
fi

cd "$dir"
echo "check-rules: using $("$promtool" --version 2>&1 | head -n 1)"

for profile in "${profiles[@]}"; do
  echo "check-rules: promtool check rules rules/$profile.yml"
  "$promtool" check rules "rules/$profile.yml"
done

for profile in "${profiles[@]}"; do
  echo "check-rules: promtool test rules tests/$profile.test.yml"
  "$promtool" test rules "tests/$profile.test.yml"
done

n=${#profiles[@]}
echo "check-rules: OK ($n rule files checked, $n test files passed)"
