import type { PodTemplate } from "../types.ts";

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = prune((v as Record<string, unknown>)[k]);
    if (x === null || x === undefined) continue;
    if (typeof x === "object" && !Array.isArray(x) && Object.keys(x).length === 0) continue;
    out[k] = x;
  }
  return out;
}

/**
 * A template's identity for matching ReplicaSets: without `pod-template-hash`, `creationTimestamp: null` and
 * empty values, so the template that `rollout undo` sends back matches the old ReplicaSet's.
 */
export function templateKey(t: PodTemplate): string {
  const c = JSON.parse(JSON.stringify(t)) as PodTemplate;
  if (c.metadata?.labels) delete c.metadata.labels["pod-template-hash"];
  if (c.metadata) delete c.metadata.creationTimestamp;
  return JSON.stringify(prune(c));
}

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** The `pod-template-hash` label value: FNV-1a of the template, in the API server's safe alphabet. */
export function podTemplateHash(t: PodTemplate): string {
  let h = 0x811c9dc5;
  for (const ch of templateKey(t)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // As the deployment controller does: the decimal FNV sum, each digit mapped into the alphabet.
  let s = "";
  for (const ch of String(h)) s += ALPHABET[ch.charCodeAt(0) % ALPHABET.length];
  return s;
}
