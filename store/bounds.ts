import type { Evidence } from "../core/types.ts";

/** How much one incident may hold; what goes past a bound is counted, not stored. */
export interface IncidentBounds {
  /** Alerts stored with their labels and annotations; later ones keep only their key (for dedupe). */
  alertsPerIncident: number;
  /** Timeline entries kept: the first `timelineHead` and the newest up to this total. */
  timelinePerIncident: number;
  timelineHead: number;
  /** Serialized evidence, in bytes: the largest observations are replaced by a note past it. */
  evidenceBytes: number;
}

export const DEFAULT_BOUNDS: IncidentBounds = {
  alertsPerIncident: 200,
  timelinePerIncident: 500,
  timelineHead: 100,
  evidenceBytes: 256 * 1024,
};

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");

/**
 * Evidence within `maxBytes`: signals and errors stay (they are what decisions read and are small); the
 * largest raw observations are replaced, one by one, with a note of what was cut, until the whole fits.
 * Errors are trimmed last, to a count, if they alone are too big.
 */
export function boundEvidence(evidence: Evidence, maxBytes: number): Evidence {
  if (size(evidence) <= maxBytes) return evidence;
  const observations: Record<string, unknown> = { ...evidence.observations };
  const bySize = Object.keys(observations).sort((a, b) => size(observations[b]) - size(observations[a]));
  let bounded: Evidence = { ...evidence, observations };
  for (const key of bySize) {
    if (size(bounded) <= maxBytes) return bounded;
    observations[key] = {
      omitted: `${size(observations[key])} bytes past the evidence bound of ${maxBytes}`,
    };
    bounded = { ...evidence, observations };
  }
  if (size(bounded) <= maxBytes) return bounded;
  const errors = evidence.errors.slice(0, 20).map((e) => e.slice(0, 500));
  const signals = evidence.signals.slice(0, 100).map((s) => ({ ...s, detail: s.detail.slice(0, 500) }));
  return { ...bounded, errors, signals };
}
