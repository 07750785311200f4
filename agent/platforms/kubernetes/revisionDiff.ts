import type { V1PodTemplateSpec } from "@kubernetes/client-node";
import type { Signal } from "../../../core/types.ts";
import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import type { RevisionSnapshot } from "../../../tools/kubernetes/rolloutHistory.ts";
import { signal } from "../../signals.ts";
import type { WorkloadObservations } from "./signals.ts";

const PULL_FAILURES = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]);
const MISSING_REF = /\b(secret|configmap)s? "?([\w.-]+)"? not found/i;
const MISSING_KEY = /couldn't find key (\S+) in (Secret|ConfigMap) (?:[\w.-]+\/)?([\w.-]+)/i;
/** A revision this young is recent: its failures likely came with it (as for recent_rollout). */
const RECENT_MS = 60 * 60_000;

/** Secrets and ConfigMaps (and their keys) a pod template reads: env, envFrom, volumes. */
export function referencesOf(t: V1PodTemplateSpec): Set<string> {
  const out = new Set<string>();
  const spec = t.spec;
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      const m = e.valueFrom?.configMapKeyRef;
      if (s?.name) out.add(`secret/${s.name}`).add(`secret/${s.name}#${s.key}`);
      if (m?.name) out.add(`configmap/${m.name}`).add(`configmap/${m.name}#${m.key}`);
    }
    for (const e of c.envFrom ?? []) {
      if (e.secretRef?.name) out.add(`secret/${e.secretRef.name}`);
      if (e.configMapRef?.name) out.add(`configmap/${e.configMapRef.name}`);
    }
  }
  for (const v of spec?.volumes ?? []) {
    if (v.secret?.secretName) out.add(`secret/${v.secret.secretName}`);
    if (v.configMap?.name) out.add(`configmap/${v.configMap.name}`);
    for (const src of v.projected?.sources ?? []) {
      if (src.secret?.name) out.add(`secret/${src.secret.name}`);
      if (src.configMap?.name) out.add(`configmap/${src.configMap.name}`);
    }
  }
  return out;
}

/** What the scheduler reads of a template: requests, node selection, tolerations, spread. */
function schedulingOf(t: V1PodTemplateSpec): string {
  const s = t.spec;
  return JSON.stringify({
    requests: (s?.containers ?? []).map((c) => c.resources?.requests ?? {}),
    nodeSelector: s?.nodeSelector ?? {},
    affinity: s?.affinity ?? {},
    tolerations: s?.tolerations ?? [],
    spread: s?.topologySpreadConstraints ?? [],
    nodeName: s?.nodeName ?? "",
  });
}
function probesOf(t: V1PodTemplateSpec): string {
  return JSON.stringify(
    (t.spec?.containers ?? []).map((c) => [
      c.readinessProbe ?? null,
      c.livenessProbe ?? null,
      c.startupProbe ?? null,
    ]),
  );
}

/**
 * A new revision that cannot run because of something only it introduced: an image that cannot be pulled, a
 * scheduling requirement no node meets, a Secret/ConfigMap (or key) it references and the previous revision did
 * not, or a probe it changed that its pods fail. Found by comparing the two revisions' pod templates, not from the
 * alert: a Secret deleted under both revisions, or a probe both share, is not the new revision's fault. `now` is the
 * cluster's clock (clusterNow).
 */
export function revisionSignals(obs: WorkloadObservations, now: number): Signal[] {
  const r = obs.rollout;
  const newest = r?.revisions[0];
  const previous = r?.revisions[1];
  if (!r || !newest || !previous) return [];
  const live = obs.pods.filter((p) => !p.deleting);
  const isNew = (p: PodSnapshot) => p.templateHash === newest.templateHash;
  const newPods = live.filter(isNew);
  if (newPods.length === 0) return [];
  const oldReady = live.filter((p) => !isNew(p) && p.ready).length;
  const names = new Set(newPods.map((p) => p.name));
  const eventsOfNew = obs.events.filter((e) => names.has(e.object.split("/")[1] ?? ""));
  const texts = [
    ...newPods.flatMap((p) => p.containers.map((c) => c.waiting?.message ?? "")),
    ...eventsOfNew.map((e) => e.message),
  ];

  const cause = introducedCause(newest, previous, newPods, eventsOfNew, texts);
  if (!cause) return [];
  const age = newest.createdAt ? now - Date.parse(newest.createdAt) : NaN;
  const previousFine =
    oldReady > 0
      ? `${oldReady} pod(s) of revision ${previous.revision} still serve Ready`
      : !Number.isFinite(age) || age <= RECENT_MS
        ? `revision ${previous.revision} ran without it until this rollout`
        : undefined;
  if (!previousFine) return [];
  return [
    signal("revision_introduced", newest.revision, `revision ${newest.revision} ${cause}; ${previousFine}`),
  ];
}

function introducedCause(
  newest: RevisionSnapshot,
  previous: RevisionSnapshot,
  newPods: PodSnapshot[],
  events: WorkloadObservations["events"],
  texts: string[],
): string | undefined {
  const pulling = newPods
    .flatMap((p) => p.containers)
    .find((c) => PULL_FAILURES.has(c.waiting?.reason ?? ""));
  if (pulling) {
    const added = newest.images.filter((i) => !previous.images.includes(i));
    if (added.length > 0)
      return `introduced image ${added.join(", ")}, which cannot be pulled (${pulling.waiting?.reason})`;
  }
  const unscheduled =
    newPods.some((p) => p.phase === "Pending" && !p.node) &&
    events.some((e) => e.reason === "FailedScheduling");
  if (unscheduled && schedulingOf(newest.template) !== schedulingOf(previous.template)) {
    const why = events.find((e) => e.reason === "FailedScheduling")?.message ?? "";
    return `changed its scheduling requirements (requests, node selection or tolerations) and its pods cannot be scheduled: "${why.slice(0, 140)}"`;
  }
  const before = referencesOf(previous.template);
  const after = referencesOf(newest.template);
  for (const t of texts) {
    const key = MISSING_KEY.exec(t);
    if (key) {
      const ref = `${key[2]!.toLowerCase()}/${key[3]}#${key[1]}`;
      if (after.has(ref) && !before.has(ref))
        return `introduced a reference to key ${key[1]} of ${key[2]} ${key[3]}, which does not exist ("${t.slice(0, 120)}")`;
    }
    const ref = MISSING_REF.exec(t);
    if (ref) {
      const name = `${ref[1]!.toLowerCase()}/${ref[2]}`;
      if (after.has(name) && !before.has(name))
        return `introduced a reference to ${ref[1]} ${ref[2]}, which does not exist ("${t.slice(0, 120)}")`;
    }
  }
  const probeFailing = events.some((e) => e.reason === "Unhealthy") && newPods.every((p) => !p.ready);
  if (probeFailing && probesOf(newest.template) !== probesOf(previous.template)) {
    const why = events.find((e) => e.reason === "Unhealthy")?.message ?? "";
    return `changed its probes and its pods fail them: "${why.slice(0, 140)}"`;
  }
  return undefined;
}
