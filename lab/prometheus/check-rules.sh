#!/usr/bin/env bash
# Validate the lab's alerting rules (both profiles) with the checker shipped in deploy/prometheus/.
# Usage: lab/prometheus/check-rules.sh   (from anywhere; PROMTOOL overrides the binary)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../../deploy/prometheus/check-rules.sh" "$here" fast realistic
