import { createHash } from "node:crypto";
import { CronExpressionParser } from "cron-parser";
import { rfc3339 } from "../clock.ts";
import type { SimContext } from "../controllers/context.ts";
import { R, isActive, ownerRef, controllerOf } from "../controllers/context.ts";
import { killContainer } from "../controllers/kubelet.ts";
import { selectorMatches } from "../http/selectors.ts";
import type { PodEffect } from "../podEffects.ts";
import { resourceOf } from "../resources.ts";
import type { KubeObject, Node, Pod } from "../types.ts";
import { parseBytes } from "../world.ts";
import type { Experiment, ExperimentKind } from "./spec.ts";
import { EXPERIMENT_KINDS, PAUSE_ANNOTATION, effectOf, goDurationMs } from "./spec.ts";

const COMPONENT = "chaos-controller-manager";
/** The image Chaos Mesh's pod-failure swaps in: it runs, listens on nothing and answers nothing. */
export const PAUSE_IMAGE = "gcr.io/google-containers/pause:latest";
/** Pod annotation keeping the images pod-failure replaced (the experiment's uid and container → image). */
const ORIGIN = "kube-sim.aegisops.io/pod-failure-origin";

/** Worlds whose registry knows the pause image. */
const withPause = new WeakSet<object>();

type Rec = NonNullable<NonNullable<Experiment["status"]>["experiment"]>["containerRecords"];

/**
 * The chaos controller (Chaos Mesh's chaos-controller-manager and chaos-daemon in one): Schedules create
 * experiments on their cron; an experiment selects its pods once (namespaces, label, expression and annotation
 * selectors, `pods`; mode one/all/fixed/fixed-percent/random-max-percent, by name order), records them in
 * `status.experiment.containerRecords`, and acts on them while it runs: until its `duration` ends, it is paused,
 * or it is deleted. Pods created later (a ReplicaSet's replacements) are not selected, as in Chaos Mesh.
 */
export function reconcileChaos(ctx: SimContext): void {
  if (!withPause.has(ctx.world)) {
    ctx.world.registry.add(PAUSE_IMAGE, { port: 0, memoryMiB: 1, cpuMillicores: 0 });
    withPause.add(ctx.world);
  }
  collectOrphanExperiments(ctx);
  for (const s of ctx.store.view(resourceOf("Schedule"))) reconcileSchedule(ctx, s as Schedule);
  const byPod = new Map<string, PodEffect[]>();
  const running = new Set<string>();
  for (const kind of EXPERIMENT_KINDS) {
    for (const o of ctx.store.view(resourceOf(kind))) {
      if (reconcileExperiment(ctx, kind, o as Experiment, byPod)) running.add(o.metadata.uid!);
    }
  }
  restoreImages(ctx, running);
  ctx.world.setEffects("chaos", byPod);
}

function isPaused(ctx: SimContext, o: KubeObject): boolean {
  if (o.metadata.annotations?.[PAUSE_ANNOTATION] === "true") return true;
  const owner = controllerOf(o);
  if (owner?.kind !== "Schedule") return false;
  const s = ctx.store.peek(resourceOf("Schedule"), o.metadata.namespace, owner.name);
  return s?.metadata.annotations?.[PAUSE_ANNOTATION] === "true";
}

/** The pods an experiment's selector matches, in name order. */
function candidates(ctx: SimContext, o: Experiment): Pod[] {
  const sel = o.spec.selector ?? {};
  const out: Pod[] = [];
  if (sel.pods) {
    for (const [ns, names] of Object.entries(sel.pods))
      for (const n of names) {
        const p = ctx.store.peek(R.pods, ns, n) as Pod | undefined;
        if (p && isActive(p)) out.push(p);
      }
    return out;
  }
  const namespaces = sel.namespaces?.length ? sel.namespaces : [o.metadata.namespace!];
  for (const ns of namespaces)
    for (const p of ctx.store.view(R.pods, ns) as readonly Pod[]) {
      if (!isActive(p) || p.status?.phase !== "Running") continue;
      if (
        !selectorMatches(
          { matchLabels: sel.labelSelectors ?? {}, matchExpressions: sel.expressionSelectors ?? [] },
          p.metadata.labels,
        )
      )
        continue;
      const ann = p.metadata.annotations ?? {};
      if (Object.entries(sel.annotationSelectors ?? {}).some(([k, v]) => ann[k] !== v)) continue;
      out.push(p);
    }
  return out.sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
}

function pick(pods: Pod[], mode: string | undefined, value: string | undefined): Pod[] {
  const n = Number(value ?? "0");
  switch (mode ?? "one") {
    case "all":
      return pods;
    case "fixed":
      return pods.slice(0, n);
    case "fixed-percent":
    case "random-max-percent":
      return pods.slice(0, Math.floor((pods.length * n) / 100));
    default:
      return pods.slice(0, 1);
  }
}

function nodeMemoryMiB(ctx: SimContext, p: Pod): number {
  const n = ctx.store.peek(R.nodes, undefined, p.spec.nodeName ?? "") as Node | undefined;
  return (parseBytes(n?.status?.capacity?.memory) ?? 16 * 1024 ** 3) / 1024 ** 2;
}

/** Reconciles one experiment; true while it runs. */
function reconcileExperiment(
  ctx: SimContext,
  kind: ExperimentKind,
  o: Experiment,
  byPod: Map<string, PodEffect[]>,
): boolean {
  const now = ctx.clock.now();
  const res = resourceOf(kind);
  const started = Date.parse(String(o.metadata.creationTimestamp));
  const durationMs = goDurationMs(o.spec.duration);
  const timeUp = durationMs !== undefined && now >= started + durationMs;
  const paused = isPaused(ctx, o);
  const desired: "Run" | "Stop" = timeUp || paused ? "Stop" : "Run";
  const before = JSON.stringify(o.status ?? {});
  let records: Rec = o.status?.experiment?.containerRecords?.map((r) => ({ ...r }));
  const action = o.spec.action ?? (kind === "PodChaos" ? "pod-kill" : undefined);

  if (!records && desired === "Run") {
    const chosen = pick(candidates(ctx, o), o.spec.mode, o.spec.value);
    records = [];
    for (const p of chosen) {
      const id = `${p.metadata.namespace}/${p.metadata.name}`;
      inject(ctx, kind, action, o, p);
      const c0 = p.spec.containers[0]?.name ?? "";
      const restarts = p.status?.containerStatuses?.find((c) => c.name === c0)?.restartCount ?? 0;
      records.push({
        id,
        phase: "Injected",
        selectorKey: ".",
        injectedCount: 1,
        recoveredCount: 0,
        restarts,
      });
      ctx.events.record(o, "Normal", "Applied", `Successfully apply chaos for ${id}`, COMPONENT);
    }
    if (chosen[0] && kind !== "PodChaos" && !effectOf(kind, o, nodeMemoryMiB(ctx, chosen[0])))
      ctx.events.record(
        o,
        "Warning",
        "Failed",
        `kube-sim does not simulate ${kind} action ${action ?? "(none)"}: the selected pods are unaffected`,
        COMPONENT,
      );
    if (!chosen.length)
      ctx.events.record(o, "Warning", "Failed", "Failed to select targets: no pod is selected", COMPONENT);
  }
  if (records && desired === "Stop") {
    for (const r of records) {
      if (r.phase !== "Injected") continue;
      r.phase = "NotInjected";
      r.recoveredCount += 1;
      ctx.events.record(o, "Normal", "Recovered", `Successfully recover chaos for ${r.id}`, COMPONENT);
    }
    if (timeUp && o.status?.experiment?.desiredPhase !== "Stop")
      ctx.events.record(o, "Normal", "TimeUp", "Time up according to the duration", COMPONENT);
  }
  // While it runs, each selected pod that still exists carries the experiment's effect.
  if (records && desired === "Run") {
    for (const r of records) {
      if (r.phase !== "Injected") continue;
      const [ns, name] = r.id.split("/") as [string, string];
      const p = ctx.store.peek(R.pods, ns, name) as Pod | undefined;
      if (!p || !isActive(p)) continue;
      const fx = effectOf(kind, o, nodeMemoryMiB(ctx, p));
      if (!fx) continue;
      // stress-ng runs inside the container it was injected into: a restarted container is free of it.
      if (kind === "StressChaos") {
        const c0 = p.spec.containers[0]?.name ?? "";
        const restarts = p.status?.containerStatuses?.find((c) => c.name === c0)?.restartCount ?? 0;
        if (restarts !== (r.restarts ?? 0)) continue;
      }
      byPod.set(p.metadata.uid!, [...(byPod.get(p.metadata.uid!) ?? []), fx]);
    }
  }
  const all = records ?? [];
  const status = {
    ...o.status,
    conditions: [
      { type: "Selected", status: all.length ? "True" : "False" },
      {
        type: "AllInjected",
        status: all.length && all.every((r) => r.phase === "Injected") ? "True" : "False",
      },
      { type: "AllRecovered", status: all.every((r) => r.phase === "NotInjected") ? "True" : "False" },
      { type: "Paused", status: paused ? "True" : "False" },
    ],
    experiment: { desiredPhase: desired, ...(records ? { containerRecords: records } : {}) },
  };
  if (JSON.stringify(status) !== before) {
    ctx.store.update(
      res,
      { ...o, status, metadata: { ...o.metadata, resourceVersion: undefined } },
      "status",
    );
  }
  return desired === "Run";
}

/** What an experiment does at once to a pod it selected: PodChaos kills and pod-failure's image swap. */
function inject(
  ctx: SimContext,
  kind: ExperimentKind,
  action: string | undefined,
  o: Experiment,
  p: Pod,
): void {
  if (kind !== "PodChaos") return;
  const ns = p.metadata.namespace!;
  if (action === "pod-kill") {
    ctx.events.record(
      p,
      "Normal",
      "Killing",
      `Stopping container ${p.spec.containers[0]?.name ?? ""}`,
      "kubelet",
      p.spec.nodeName,
    );
    ctx.store.delete(R.pods, ns, p.metadata.name);
    ctx.logs.forget(p.metadata.uid!);
  } else if (action === "container-kill") {
    for (const c of o.spec.containerNames?.length
      ? o.spec.containerNames
      : p.spec.containers.map((x) => x.name))
      killContainer(ctx, p, c);
  } else if (action === "pod-failure") {
    const origin: Record<string, string> = {};
    const containers = p.spec.containers.map((c) => {
      origin[c.name] = c.image ?? "";
      return { ...c, image: PAUSE_IMAGE };
    });
    ctx.store.update(R.pods, {
      ...p,
      metadata: {
        ...p.metadata,
        resourceVersion: undefined,
        annotations: {
          ...p.metadata.annotations,
          [ORIGIN]: JSON.stringify({ uid: o.metadata.uid, images: origin }),
        },
      },
      spec: { ...p.spec, containers },
    });
  }
}

/** Puts back the images of pods whose pod-failure experiment stopped or was deleted (Chaos Mesh's recovery). */
function restoreImages(ctx: SimContext, running: Set<string>): void {
  for (const p of ctx.store.view(R.pods) as readonly Pod[]) {
    const raw = p.metadata.annotations?.[ORIGIN];
    if (!raw) continue;
    const { uid, images } = JSON.parse(raw) as { uid: string; images: Record<string, string> };
    if (running.has(uid)) continue;
    const annotations = { ...p.metadata.annotations };
    delete annotations[ORIGIN];
    ctx.store.update(R.pods, {
      ...p,
      metadata: { ...p.metadata, resourceVersion: undefined, annotations },
      spec: {
        ...p.spec,
        containers: p.spec.containers.map((c) => ({ ...c, image: images[c.name] ?? c.image })),
      },
    });
  }
}

interface Schedule extends KubeObject {
  spec: {
    schedule: string;
    type: ExperimentKind;
    historyLimit?: number;
    concurrencyPolicy?: "Forbid" | "Allow";
    startingDeadlineSeconds?: number;
  } & Record<string, unknown>;
  status?: {
    lastScheduleTime?: string;
    active?: { kind: string; namespace: string; name: string; uid: string }[];
  };
}

/** The spec key a Schedule keeps its experiment under: `httpChaos` for HTTPChaos, `ioChaos` for IOChaos. */
function specKey(kind: string): string {
  const m = /^([A-Z]+)([A-Z][a-z].*)$/.exec(kind);
  return m ? m[1]!.toLowerCase() + m[2] : kind.charAt(0).toLowerCase() + kind.slice(1);
}

/** A Schedule creates an experiment of its `type` at each cron time, owned by it and labelled `managed-by`. */
function reconcileSchedule(ctx: SimContext, s: Schedule): void {
  const now = ctx.clock.now();
  const kind = s.spec.type;
  if (!(EXPERIMENT_KINDS as readonly string[]).includes(kind)) return;
  const res = resourceOf(kind);
  const children = (ctx.store.view(res, s.metadata.namespace) as readonly Experiment[])
    .filter((c) => controllerOf(c)?.uid === s.metadata.uid)
    .sort(
      (a, b) =>
        Date.parse(String(a.metadata.creationTimestamp)) - Date.parse(String(b.metadata.creationTimestamp)),
    );
  const runningChildren = children.filter((c) => c.status?.experiment?.desiredPhase !== "Stop");
  const status = { ...s.status };
  const before = JSON.stringify(status);
  if (s.metadata.annotations?.[PAUSE_ANNOTATION] !== "true") {
    const after = Date.parse(status.lastScheduleTime ?? String(s.metadata.creationTimestamp));
    let due: number | undefined;
    try {
      const it = CronExpressionParser.parse(s.spec.schedule, { currentDate: new Date(after) });
      for (let t = it.next().getTime(); t <= now; t = it.next().getTime()) due = t;
    } catch (err) {
      ctx.events.record(
        s,
        "Warning",
        "Failed",
        `failed to parse schedule: ${(err as Error).message}`,
        COMPONENT,
      );
      return;
    }
    if (due !== undefined) {
      status.lastScheduleTime = rfc3339(due);
      if (s.spec.concurrencyPolicy !== "Allow" && runningChildren.length) {
        ctx.events.record(
          s,
          "Normal",
          "Forbid",
          "Forbid spawning new job because: the previous one is still running",
          COMPONENT,
        );
      } else {
        const suffix = createHash("sha1").update(`${s.metadata.uid}|${due}`).digest("hex").slice(0, 5);
        const name = `${s.metadata.name}-${suffix}`;
        ctx.store.create(res, {
          apiVersion: "chaos-mesh.org/v1alpha1",
          kind,
          metadata: {
            name,
            namespace: s.metadata.namespace,
            labels: { "managed-by": s.metadata.name },
            ownerReferences: [ownerRef(s)],
          },
          spec: (s.spec[specKey(kind)] ?? {}) as Record<string, unknown>,
        });
        ctx.events.record(s, "Normal", "Spawned", `Create new object: ${name}`, COMPONENT);
      }
    }
  }
  // Finished experiments beyond the history limit go, oldest first.
  const finished = children.filter((c) => c.status?.experiment?.desiredPhase === "Stop");
  const limit = s.spec.historyLimit ?? 1;
  for (const c of finished.slice(0, Math.max(0, finished.length - limit)))
    ctx.store.delete(res, c.metadata.namespace, c.metadata.name);
  status.active = runningChildren.map((c) => ({
    kind,
    namespace: c.metadata.namespace!,
    name: c.metadata.name,
    uid: c.metadata.uid!,
  }));
  if (JSON.stringify(status) !== before)
    ctx.store.update(
      resourceOf("Schedule"),
      { ...s, status, metadata: { ...s.metadata, resourceVersion: undefined } },
      "status",
    );
}

/** Experiments whose Schedule is gone are deleted with it (owner references, background cascading). */
function collectOrphanExperiments(ctx: SimContext): void {
  for (const kind of EXPERIMENT_KINDS) {
    const res = resourceOf(kind);
    for (const o of ctx.store.view(res)) {
      const owner = controllerOf(o);
      if (owner && !ctx.store.hasUid(owner.uid)) ctx.store.delete(res, o.metadata.namespace, o.metadata.name);
    }
  }
}
