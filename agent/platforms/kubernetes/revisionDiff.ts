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

  // How long a silent state has lasted: the cluster's newest timestamp stops with it, AegisOps' clock does not.
  const waited = Math.max(now, obs.observedAt ?? 0);
  const cause = introducedCause(newest, previous, newPods, eventsOfNew, texts, waited, oldReady, obs.logs);
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
  now: number,
  oldReady: number,
  logs: WorkloadObservations["logs"],
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
  // Its pods crash or cannot start, and it changed environment variables: the values it runs with are new.
  const failing = newPods.filter(
    (p) =>
      !p.ready && p.containers.some((c) => c.restartCount > 0 || START_FAILURES.has(c.waiting?.reason ?? "")),
  );
  const env = envChanges(previous.template, newest.template);
  // A Secret or ConfigMap both revisions read is missing: that, not the new values, is why they fail.
  const sharedRefMissing = texts.some((t) => MISSING_REF.test(t) || MISSING_KEY.test(t));
  if (failing.length > 0 && env.length > 0 && !sharedRefMissing) {
    const c = failing[0]!.containers.find((x) => x.restartCount > 0 || x.waiting);
    const how = c?.waiting?.reason ?? c?.lastTerminated?.reason ?? "restarting";
    return `changed environment variable(s) ${env.join(", ")} and its pods fail (${how}, ${failing.length} of ${newPods.length} pod(s))`;
  }
  // Its pods cannot resolve names since it changed how they resolve them (dnsPolicy, dnsConfig, hostNetwork).
  const resolving = dnsIntroduced(previous.template, newest.template, newPods, logs);
  if (resolving) return resolving;
  // Its pods run, but their requests fail to reach an address that only its changed environment names.
  const unreachable = addressIntroduced(previous.template, newest.template, newPods, logs);
  if (unreachable) return unreachable;
  // Its pods wait on an init container it changed that has run far longer than it should without completing.
  // The next two compare with the previous revision's pods serving now (what they wait on is there for them).
  if (oldReady === 0) return undefined;
  const inits = initContainersOf(newest.template);
  if (inits !== initContainersOf(previous.template)) {
    // An init container whose own command never returns (`sleep infinity`, an endless loop): no wait will do.
    const endless = endlessInit(previous.template, newest.template, newPods);
    if (endless) return endless;
    const stuck = newPods
      .filter((p) => !p.ready)
      .flatMap((p) => (p.initContainers ?? []).map((c) => ({ p, c })))
      .filter(({ c }) => c.runningSince && now - Date.parse(c.runningSince) > STUCK_MS);
    if (stuck.length > 0) {
      const { c } = stuck[0]!;
      const mins = Math.round((now - Date.parse(c.runningSince!)) / 60_000);
      return `changed its init containers, and init container ${c.name} has run for ${mins} min without completing in ${stuck.length} pod(s): its app containers never start`;
    }
  }
  // Its pods run without crashing but never become Ready, past what their probes allow (or minutes without probe
  // events): they serve no endpoint, while the previous revision's did.
  const running = newPods.filter(
    (p) =>
      !p.ready &&
      p.containers.length > 0 &&
      p.containers.every((c) => c.runningSince !== undefined && c.restartCount === 0),
  );
  if (running.length > 0 && running.length === newPods.length) {
    const since = Math.max(
      ...running.map((p) => Math.min(...p.containers.map((c) => Date.parse(c.runningSince!)))),
    );
    const unhealthy = events.find((e) => e.reason === "Unhealthy" && /readiness/i.test(e.message));
    const allowed = unhealthy
      ? probeAllowanceMs(newest.template)
      : Math.max(STUCK_MS, probeAllowanceMs(newest.template));
    if (now - since > allowed) {
      const mins = Math.max(1, Math.round((now - since) / 60_000));
      return unhealthy
        ? `runs pods that fail their readiness probe past its allowance and serve no endpoint (${running.length} pod(s), for ${mins} min): "${unhealthy.message.slice(0, 120)}"`
        : `runs pods that have not become Ready for ${mins} min (${running.length} pod(s), no endpoint serves from them)`;
    }
  }
  return undefined;
}

/** Waiting reasons of a container that cannot start. */
const START_FAILURES = new Set([
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);
/** An init container (or an unready pod with no probe verdict) this long past its start is stuck, not slow. */
const STUCK_MS = 5 * 60_000;

/** Names of the environment variables whose value (or source) differs between two templates, per container. */
export function envChanges(before: V1PodTemplateSpec, after: V1PodTemplateSpec): string[] {
  const envOf = (t: V1PodTemplateSpec) =>
    new Map(
      [...(t.spec?.containers ?? []), ...(t.spec?.initContainers ?? [])].flatMap((c) => [
        ...(c.env ?? []).map(
          (e) => [`${c.name}/${e.name}`, JSON.stringify(e.valueFrom ?? e.value ?? "")] as const,
        ),
        ...(c.envFrom ?? []).map((e) => [`${c.name}/envFrom:${JSON.stringify(e)}`, "from"] as const),
      ]),
    );
  const a = envOf(before);
  const b = envOf(after);
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((n) => a.get(n) !== b.get(n)).map((n) => n.split("/").slice(1).join("/"));
}

function initContainersOf(t: V1PodTemplateSpec): string {
  return JSON.stringify(
    (t.spec?.initContainers ?? []).map((c) => [c.name, c.image, c.command, c.args, c.env, c.envFrom]),
  );
}

/** How long a template's readiness (and startup) probes allow before a pod that is not Ready has failed them. */
function probeAllowanceMs(t: V1PodTemplateSpec): number {
  const of = (
    p: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } | undefined,
  ) => (p ? ((p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3)) * 1000 : 0);
  return Math.max(0, ...(t.spec?.containers ?? []).map((c) => of(c.readinessProbe) + of(c.startupProbe)));
}

/** A log line about a request that could not reach another host (name resolution, refused, unreachable). */
const UNREACHABLE_LOG =
  /cannot reach|could not (?:resolve|connect)|unable to (?:resolve|connect)|no such host|unknown host|name (?:or service )?not known|name resolution|ENOTFOUND|ECONNREFUSED|connection refused|getaddrinfo|dial tcp/i;
/** Lines that must report it before it counts: one failed call is not a broken release. */
const UNREACHABLE_LINES = 2;

/** The host an environment value names: a URL's host, `host:port`, or a bare DNS-like name; undefined otherwise. */
export function hostOf(value: string): string | undefined {
  const v = value.trim();
  try {
    if (/^[a-z][\w+.-]*:\/\//i.test(v)) return new URL(v).hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
  const m = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::\d+)?$/i.exec(v);
  // A bare word with neither a dot, a dash nor a port is a setting (a level, a number), not an address.
  return m && (/[.-]/.test(m[1]!) || /:\d+$/.test(v)) && !/^\d+(\.\d+)*$/.test(m[1]!)
    ? m[1]!.toLowerCase()
    : undefined;
}

/**
 * The new revision's pods log failed calls to a host that an environment value only it set names (a changed
 * `QUOTE_ADDR` pointing at a host that does not resolve): the release introduced the address its requests fail on.
 * A host the previous revision's environment named too is not the release's doing (that dependency is down).
 */
function addressIntroduced(
  before: V1PodTemplateSpec,
  after: V1PodTemplateSpec,
  newPods: PodSnapshot[],
  logs: WorkloadObservations["logs"],
): string | undefined {
  const valuesOf = (t: V1PodTemplateSpec) =>
    [...(t.spec?.containers ?? []), ...(t.spec?.initContainers ?? [])].flatMap((c) =>
      (c.env ?? [])
        .filter((e) => typeof e.value === "string")
        .map((e) => ({ name: e.name, value: e.value! })),
    );
  const oldHosts = new Set(valuesOf(before).map((e) => hostOf(e.value)));
  const introduced = valuesOf(after)
    .map((e) => ({ ...e, host: hostOf(e.value) }))
    .filter((e): e is { name: string; value: string; host: string } => !!e.host && !oldHosts.has(e.host));
  if (introduced.length === 0) return undefined;
  const lines = newPods.flatMap((p) => logs[p.name] ?? []).filter((l) => UNREACHABLE_LOG.test(l));
  for (const e of introduced) {
    const named = new RegExp(`(^|[^\\w.-])${e.host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\w-])`, "i");
    const failing = lines.filter((l) => named.test(l));
    if (failing.length >= UNREACHABLE_LINES)
      return `changed environment variable ${e.name} to ${JSON.stringify(e.value)}, and its pods' requests fail to reach ${e.host} (${failing.length} log line(s), e.g. "${failing[0]!.slice(0, 140)}")`;
  }
  return undefined;
}

/** A log line about a name that could not be resolved. */
const RESOLVE_FAILED_LOG =
  /no such host|could not resolve|unable to resolve|name resolution|NXDOMAIN|ENOTFOUND|EAI_AGAIN|unknown host|name (?:or service )?not known|getaddrinfo/i;

/** How a template's pods resolve names: the DNS policy (ClusterFirst unless set), its config, the host's network. */
function dnsOf(t: V1PodTemplateSpec): string {
  const s = t.spec;
  return JSON.stringify({
    policy: s?.dnsPolicy ?? "ClusterFirst",
    config: s?.dnsConfig ?? null,
    hostNetwork: s?.hostNetwork ?? false,
  });
}

/**
 * The new revision changed how its pods resolve names (e.g. `dnsPolicy: Default`, which uses the node's resolver
 * and knows no Service name) and its pods log name-resolution failures: the release broke its own DNS. Failures
 * with DNS settings both revisions share (the cluster's DNS down) are not the release's doing.
 */
function dnsIntroduced(
  before: V1PodTemplateSpec,
  after: V1PodTemplateSpec,
  newPods: PodSnapshot[],
  logs: WorkloadObservations["logs"],
): string | undefined {
  if (dnsOf(before) === dnsOf(after)) return undefined;
  const failing = newPods.flatMap((p) => logs[p.name] ?? []).filter((l) => RESOLVE_FAILED_LOG.test(l));
  if (failing.length < UNREACHABLE_LINES) return undefined;
  const was = before.spec?.dnsPolicy ?? "ClusterFirst";
  const now = after.spec?.dnsPolicy ?? "ClusterFirst";
  const what = was !== now ? `dnsPolicy ${was} → ${now}` : "its DNS settings (dnsConfig or hostNetwork)";
  return `changed how its pods resolve names (${what}), and they fail to resolve them (${failing.length} log line(s), e.g. "${failing[0]!.slice(0, 140)}")`;
}

/** A shell command that cannot return on its own: sleep forever (or for days, or 10,000 s and more), follow a file, loop forever. */
export function neverReturns(command: readonly string[]): boolean {
  const text = command.join(" ");
  if (/\bsleep\s+(?:inf(?:inity)?\b|\d+\s*d\b|(?:\d{5,})(?:s)?\b)/i.test(text)) return true;
  if (/\btail\s+(?:-\w*f\w*|--follow)\b/.test(text)) return true;
  const loop = /\bwhile\s+(?:true|:)\s*;?\s*do\b/.test(text);
  return loop && !/\b(?:break|exit|return)\b/.test(text);
}

/**
 * An init container the new revision added or changed whose command never returns, still running in its pods: an
 * init container must complete before the app starts, so these pods never will. An init container that waits for
 * something (`until nslookup db; do sleep 2; done`) ends when it comes, and is left to the time-based rule.
 */
function endlessInit(
  before: V1PodTemplateSpec,
  after: V1PodTemplateSpec,
  newPods: PodSnapshot[],
): string | undefined {
  const old = new Set(
    (before.spec?.initContainers ?? []).map((c) => JSON.stringify([c.name, c.image, c.command, c.args])),
  );
  for (const c of after.spec?.initContainers ?? []) {
    if (old.has(JSON.stringify([c.name, c.image, c.command, c.args]))) continue;
    const command = [...(c.command ?? []), ...(c.args ?? [])];
    if (!neverReturns(command)) continue;
    const running = newPods.filter((p) =>
      (p.initContainers ?? []).some((i) => i.name === c.name && i.runningSince && !i.ready),
    );
    if (running.length > 0)
      return `added init container ${c.name} whose command never returns (${JSON.stringify(command.join(" ").slice(0, 80))}), running in ${running.length} pod(s): their app containers can never start`;
  }
  return undefined;
}
