import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { AegisError } from "../../core/errors.ts";
import {
  R,
  controllerOf,
  isActive,
  isPodReady,
  parseManifests,
  type Deployment,
  type KubeObject,
  type Pod,
  startKubeSim,
  type KubeSim,
  podsOfDeployment,
  apiVersionOf,
  resourceOf,
} from "@aegisops/kube-sim";
import type { Scenario } from "./scenario.ts";
import { MetricHistory, recordedSim } from "./metricHistory.ts";

type KubeEnvSpec = Extract<Scenario["environment"], { kind: "kubernetes" }>;
type ClusterSpec = KubeEnvSpec["regions"][string];

/** AegisOps acts as the ServiceAccount of the shipped manifest, so an eval also proves the role suffices. */
const RBAC_FILE = new URL("../../deploy/kubernetes/base/rbac.yaml", import.meta.url);

/** A simulated cluster prepared for one scenario: set up, faults injected and left to develop. */
export interface KubeEnv {
  /** The scenario's main cluster. */
  sim: KubeSim;
  /** Every cluster by region name (only the main one, under its scenario id, without `regions`). */
  sims: ReadonlyMap<string, KubeSim>;
  /** kubeconfig (YAML) with the AegisOps ServiceAccount's token: one context per cluster, the main one current. */
  kubeconfig: string;
  /** The same with the clusters' admin token, for a person looking at the clusters (kubectl needs `tls`). */
  adminKubeconfig: string;
  /** Moves every cluster's clock by `ms` (they share one timeline). */
  advance(ms: number): void;
  /** A pod of the Deployment `namespace/name` (the newest not Ready, else the newest) in a cluster (default: main). */
  podName(target: string, region?: string): string;
  /** With `environment.prometheus`: every cluster's metrics as scraped every 15 s of virtual time. */
  history?: MetricHistory | undefined;
  stop(): Promise<void>;
}

/**
 * Longest virtual step of one controller pass. A scenario's development (tens of simulated seconds before
 * the first alert) is most of a run's cost at the simulator's default 1 s; 5 s still resolves its timings
 * (pod start, crash back-off from 10 s, HPA sync every 15 s). The agent's own steps are shorter anyway.
 */
export const SIM_STEP_MS = 5000;

/** A registry or manifests given inline (YAML with a newline) or as a file relative to the scenario. */
function textOrFile(value: string, scenario: Scenario): string {
  return value.includes("\n") ? value : readFileSync(join(dirname(scenario.file), value), "utf8");
}

/** How the harness starts a scenario's clusters. */
export interface KubeEnvOptions {
  /**
   * Serve HTTPS with each simulator's own self-signed certificate (its CA in the kubeconfigs) instead of plain
   * HTTP. Off by default (a TLS handshake per connection only costs time); on, the real kubectl can be pointed
   * at the clusters: it sends no token to a plain-HTTP server.
   */
  tls?: boolean | undefined;
}

/** Where a cluster's scrapes go when the scenario serves a Prometheus, and the labels they carry. */
interface Recording {
  history: MetricHistory;
  /** `cluster` on every series when the scenario has several clusters (a multi-cluster Prometheus' external label). */
  labelled: boolean;
}

/** Starts one cluster's simulator and brings it through its setup, changes and faults. */
async function startCluster(
  spec: ClusterSpec,
  name: string,
  scenario: Scenario,
  opts: KubeEnvOptions,
  recording?: Recording,
): Promise<KubeSim> {
  const where = name === scenario.id ? "" : ` (region ${name})`;
  const fixture =
    spec.cluster === "demo" ? undefined : readFileSync(join(dirname(scenario.file), spec.cluster), "utf8");
  const registry = spec.registry !== undefined ? textOrFile(spec.registry, scenario) : undefined;
  let sim: KubeSim;
  try {
    const started = await startKubeSim({
      clock: "virtual",
      port: 0,
      rbac: readFileSync(RBAC_FILE, "utf8"),
      tls: opts.tls === true,
      stepMs: SIM_STEP_MS,
      name,
      ...(fixture !== undefined ? { fixture } : {}),
      ...(registry !== undefined ? { registry } : {}),
    });
    sim = recording
      ? recordedSim(started, recording.history, name, recording.labelled ? { cluster: name } : {})
      : started;
  } catch (err) {
    throw new AegisError("config_invalid", `${scenario.file}${where}: ${(err as Error).message}`);
  }
  try {
    sim.advance(5_000);
    if (spec.settle) settle(sim);
    for (const step of spec.setup) await runStep(sim, step, scenario);
    sim.advance(5_000);
    if (spec.settle) settle(sim);
    for (const step of spec.changes) await runStep(sim, step, scenario);
    for (const f of spec.faults) {
      try {
        sim.inject(f as Parameters<KubeSim["inject"]>[0]);
      } catch (err) {
        throw new AegisError(
          "config_invalid",
          `${scenario.file}${where}: fault ${f.family}: ${(err as Error).message}`,
        );
      }
    }
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return sim;
}

/**
 * One kubeconfig with every cluster's context (named by region), the main cluster's current: with the AegisOps
 * ServiceAccount's token, or the admin's.
 */
function mergedKubeconfig(
  sims: ReadonlyMap<string, KubeSim>,
  main: string,
  as: "aegisops" | "admin",
): string {
  const texts = [...sims.values()].map((sim) =>
    sim.kubeconfig(as === "admin" ? undefined : { token: sim.tokenFor("aegisops", "aegisops") }),
  );
  if (texts.length === 1) return texts[0]!;
  const docs = texts.map((t) => parse(t) as Record<string, unknown>);
  const list = (key: string) => docs.flatMap((d) => (d[key] as unknown[] | undefined) ?? []);
  return stringify({
    ...docs[0],
    clusters: list("clusters"),
    users: list("users"),
    contexts: list("contexts"),
    "current-context": main,
  });
}

export async function startKubeEnv(
  spec: KubeEnvSpec,
  scenario: Scenario,
  opts: KubeEnvOptions = {},
): Promise<KubeEnv> {
  const main = spec.region ?? scenario.id;
  const sims = new Map<string, KubeSim>();
  const recording = spec.prometheus
    ? { history: new MetricHistory(), labelled: Object.keys(spec.regions).length > 0 }
    : undefined;
  const stopAll = () => Promise.all([...sims.values()].map((s) => s.stop())).then(() => undefined);
  const advance = (ms: number) => {
    for (const s of sims.values()) s.advance(ms);
  };
  try {
    sims.set(main, await startCluster(spec, main, scenario, opts, recording));
    for (const [name, region] of Object.entries(spec.regions))
      sims.set(name, await startCluster(region, name, scenario, opts, recording));
    // One timeline: each cluster's set-up let a different amount of time pass; the others catch up.
    const latest = Math.max(...[...sims.values()].map((s) => s.clock.now()));
    for (const s of sims.values()) if (latest > s.clock.now()) s.advance(latest - s.clock.now());
    advance(spec.developMs);
    for (const l of spec.logs) appendLogs(sims.get(main)!, l.target, l.lines, scenario);
    for (const [name, region] of Object.entries(spec.regions))
      for (const l of region.logs) appendLogs(sims.get(name)!, l.target, l.lines, scenario);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const clusterOf = (region: string | undefined): KubeSim => {
    const sim = sims.get(region ?? main);
    if (!sim)
      throw new AegisError("config_invalid", `${scenario.file}: no cluster named ${region} in this scenario`);
    return sim;
  };
  return {
    sim: sims.get(main)!,
    sims,
    kubeconfig: mergedKubeconfig(sims, main, "aegisops"),
    adminKubeconfig: mergedKubeconfig(sims, main, "admin"),
    advance,
    podName: (target, region) => podName(clusterOf(region), target, scenario),
    history: recording?.history,
    stop: stopAll,
  };
}

const SETTLE_LIMIT_MS = 120_000;

/**
 * Lets virtual time pass until every Deployment's and StatefulSet's rollout finished (or two minutes passed: a
 * stuck rollout).
 */
function settle(sim: KubeSim): void {
  for (let waited = 0; waited < SETTLE_LIMIT_MS; waited += 5_000) {
    const deployments = sim.ctx.store.view(R.deployments).every((o) => {
      const d = o as Deployment;
      return (
        d.status?.observedGeneration === d.metadata.generation &&
        (d.status?.updatedReplicas ?? 0) === (d.spec.replicas ?? 1) &&
        (d.status?.availableReplicas ?? 0) === (d.spec.replicas ?? 1) &&
        (d.status?.replicas ?? 0) === (d.spec.replicas ?? 1)
      );
    });
    const statefulSets = sim.ctx.store.view(R.statefulsets).every((o) => {
      const st = (o.status ?? {}) as Record<string, unknown>;
      const want = (o.spec as { replicas?: number }).replicas ?? 1;
      return (
        st.observedGeneration === o.metadata.generation &&
        st.readyReplicas === want &&
        st.updatedReplicas === want &&
        st.currentRevision === st.updateRevision
      );
    });
    if (deployments && statefulSets) return;
    sim.advance(5_000);
  }
}

type Step = KubeEnvSpec["setup"][number];

/** One change through the simulator's API (admin token), as an operator's kubectl would send it. */
async function runStep(sim: KubeSim, step: Step, scenario: Scenario): Promise<void> {
  const fail = (what: string, err: unknown): never => {
    throw new AegisError(
      "config_invalid",
      `${scenario.file}: ${what}: ${(err as Error).message ?? String(err)}`,
    );
  };
  if ("waitMs" in step) return sim.advance(step.waitMs);
  if ("killContainer" in step) {
    const { target, container } = step.killContainer;
    const pod = podName(sim, target, scenario);
    const path = `/sim/pods/${encodeURIComponent(split(target).namespace)}/${encodeURIComponent(pod)}/kill`;
    const res = await call(sim, "POST", path, "application/json", container ? { container } : {});
    if (!res.ok) fail(`killContainer ${target}`, new Error(`HTTP ${res.status} ${await res.text()}`));
    return;
  }
  if ("node" in step) {
    const { name, ...change } = step.node;
    const res = await call(sim, "POST", `/sim/nodes/${encodeURIComponent(name)}`, "application/json", change);
    if (!res.ok) fail(`node ${name}`, new Error(`HTTP ${res.status} ${await res.text()}`));
    return;
  }
  if ("event" in step) {
    const res = await call(sim, "POST", "/sim/events", "application/json", step.event);
    if (!res.ok) fail(`event ${step.event.reason}`, new Error(`HTTP ${res.status} ${await res.text()}`));
    return;
  }
  if ("patch" in step) return patch(sim, step.patch);
  if ("delete" in step) {
    const res = await call(sim, "DELETE", pathOf(step.delete));
    if (!res.ok)
      fail(
        `delete ${step.delete.kind} ${step.delete.name}`,
        new Error(`HTTP ${res.status} ${await res.text()}`),
      );
    return;
  }
  if ("setImage" in step) {
    const { namespace, name } = split(step.setImage.target);
    const d = sim.ctx.store.peek(R.deployments, namespace, name) as Deployment | undefined;
    if (!d) return fail("setImage", new Error(`no deployment ${step.setImage.target}`));
    const container = step.setImage.container ?? d.spec.template.spec.containers[0]?.name;
    if (!d.spec.template.spec.containers.some((c) => c.name === container))
      return fail("setImage", new Error(`deployment ${step.setImage.target} has no container ${container}`));
    // What `kubectl set image` sends: a strategic merge patch keyed on the container name.
    const res = await call(
      sim,
      "PATCH",
      pathOf({ kind: "Deployment", namespace, name }),
      "application/strategic-merge-patch+json",
      {
        spec: { template: { spec: { containers: [{ name: container, image: step.setImage.image }] } } },
      },
    );
    if (!res.ok) fail("setImage", new Error(`HTTP ${res.status} ${await res.text()}`));
    return;
  }
  let objects: KubeObject[];
  try {
    objects = parseManifests(step.apply);
  } catch (err) {
    return fail("apply", err);
  }
  for (const o of objects) {
    if (o.kind === "ImageRegistry") {
      try {
        sim.images(o);
      } catch (err) {
        fail("apply ImageRegistry", err);
      }
      continue;
    }
    const ref = { kind: o.kind, namespace: o.metadata?.namespace ?? "default", name: o.metadata?.name };
    const existing = await call(sim, "GET", pathOf(ref));
    const res = existing.ok
      ? await call(sim, "PATCH", pathOf(ref), "application/merge-patch+json", o)
      : await call(sim, "POST", pathOf(ref, false), "application/json", o);
    if (!res.ok) fail(`apply ${o.kind} ${ref.name}`, new Error(`HTTP ${res.status} ${await res.text()}`));
  }
}

function split(target: string): { namespace: string; name: string } {
  const i = target.indexOf("/");
  return i < 0
    ? { namespace: "default", name: target }
    : { namespace: target.slice(0, i), name: target.slice(i + 1) };
}

function pathOf(
  ref: { kind: string; namespace?: string | undefined; name: string },
  withName = true,
): string {
  const r = resourceOf(ref.kind);
  const prefix = r.group ? `/apis/${apiVersionOf(r)}` : `/api/${r.version}`;
  const ns = r.namespaced ? `/namespaces/${ref.namespace ?? "default"}` : "";
  return `${prefix}${ns}/${r.plural}${withName ? `/${ref.name}` : ""}`;
}

/**
 * One request to the simulator's API with the admin token, over HTTP or (with `tls`) HTTPS trusting the
 * simulator's own certificate.
 */
function call(
  sim: KubeSim,
  method: string,
  path: string,
  contentType?: string,
  body?: unknown,
): Promise<Response> {
  const url = new URL(path, sim.url);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        // A connection of its own per step: a kept-alive one may be closed by the server while a long `waitMs`
        // advanced the clock (the event loop busy), and reusing it then fails with ECONNRESET.
        agent: false,
        ...(sim.caPem ? { ca: sim.caPem } : {}),
        headers: {
          authorization: `Bearer ${sim.adminToken}`,
          ...(contentType ? { "content-type": contentType } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 500;
          // A Response may not carry a body with these statuses.
          const text = [101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
          resolve(new Response(text, { status }));
        });
      },
    );
    req.on("error", reject);
    req.end(body !== undefined ? JSON.stringify(body) : undefined);
  });
}

/** Active pods a workload owns: a Deployment's (through its ReplicaSets), a StatefulSet's, DaemonSet's or Job's. */
function podsOfWorkload(sim: KubeSim, namespace: string, name: string): Pod[] | undefined {
  const d = sim.ctx.store.peek(R.deployments, namespace, name) as Deployment | undefined;
  if (d) return podsOfDeployment(sim.ctx, d);
  for (const res of [R.statefulsets, R.daemonsets, R.jobs]) {
    const w = sim.ctx.store.peek(res, namespace, name);
    if (w)
      return (sim.ctx.store.view(R.pods, namespace) as readonly Pod[]).filter(
        (p) => isActive(p) && controllerOf(p)?.uid === w.metadata.uid,
      );
  }
  return undefined;
}

/**
 * The name of a pod of a workload, for an alert's `pod` label: `ns/name` picks the newest pod that is not Ready
 * (the one an alert about a failing pod names), else the newest; `ns/name#N` a StatefulSet's ordinal N or
 * the N-th oldest pod of another workload (0-based), so a scenario can name one replica among healthy siblings;
 * `ns/name#failed` a Deployment's newest failed (evicted) pod.
 */
function podName(sim: KubeSim, target: string, scenario: Scenario): string {
  const failed = /^(.*)#failed$/.exec(target);
  if (failed) return failedPodName(sim, failed[1]!, scenario);
  const m = /^(.*?)(?:#(\d+))?$/.exec(target)!;
  const { namespace, name } = split(m[1]!);
  const all = podsOfWorkload(sim, namespace, name);
  if (!all) throw new AegisError("config_invalid", `${scenario.file}: $pod(${target}): no such workload`);
  const pods = all.sort(
    (a, b) =>
      String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) ||
      b.metadata.name.localeCompare(a.metadata.name),
  );
  const ordinal = (i: number) =>
    pods.find((p) => p.metadata.name === `${name}-${i}` && controllerOf(p)?.kind === "StatefulSet") ??
    [...pods].reverse()[i];
  const pick = m[2] !== undefined ? ordinal(Number(m[2])) : (pods.find((p) => !isPodReady(p)) ?? pods[0]);
  if (!pick)
    throw new AegisError("config_invalid", `${scenario.file}: $pod(${target}): the workload has no such pod`);
  return pick.metadata.name;
}

/**
 * `ns/name#failed`: the newest pod of a Deployment that has failed and is kept as an object (evicted by the kubelet,
 * `Failed`), the one an alert on a pod's phase names after its replacement started elsewhere.
 */
function failedPodName(sim: KubeSim, target: string, scenario: Scenario): string {
  const { namespace, name } = split(target);
  const d = sim.ctx.store.peek(R.deployments, namespace, name) as Deployment | undefined;
  if (!d)
    throw new AegisError("config_invalid", `${scenario.file}: $pod(${target}#failed): no such Deployment`);
  const owned = new Set(
    (sim.ctx.store.view(R.replicasets, namespace) as readonly KubeObject[])
      .filter((rs) => controllerOf(rs)?.uid === d.metadata.uid)
      .map((rs) => rs.metadata.uid),
  );
  const pick = (sim.ctx.store.view(R.pods, namespace) as readonly Pod[])
    .filter((p) => p.status?.phase === "Failed" && owned.has(controllerOf(p)?.uid))
    .sort((a, b) =>
      String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
    )[0];
  if (!pick)
    throw new AegisError(
      "config_invalid",
      `${scenario.file}: $pod(${target}#failed): the workload has no failed pod`,
    );
  return pick.metadata.name;
}

/** Replaces every `$pod(ns/workload)` inside a string (e.g. an expected root cause `shop/pod/$pod(shop/web)`). */
export function resolvePodRefs(text: string, kube: KubeEnv, region?: string): string {
  return text.replace(/\$pod\(([^)]+)\)/g, (_, t: string) => kube.podName(t, region));
}

/** Replaces `$pod(namespace/deployment)` in label and annotation values with the name of a pod of that Deployment. */
export function resolvePodLabels(
  n: Scenario["notifications"][number],
  kube: KubeEnv | undefined,
): Scenario["notifications"][number] {
  if (!kube || !("alerts" in n)) return n;
  // A pod is looked up in the cluster the alert names (its `cluster` or `region` label), if the scenario has it.
  const regionOf = (labels: Record<string, string>) =>
    [labels.cluster, labels.region].find((r) => r !== undefined && kube.sims.has(r));
  // Annotations name the pod too, as Prometheus renders `{{ $labels.pod }}` into them.
  const resolveAll = (m: Record<string, string>, region: string | undefined) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, resolvePodRefs(v, kube, region)]));
  const alerts = n.alerts.map((a) => ({
    ...a,
    labels: resolveAll(a.labels, regionOf(a.labels)),
    annotations: resolveAll(a.annotations, regionOf(a.labels)),
  }));
  return { ...n, alerts };
}

/** A merge patch through the simulator's own API, as an operator's `kubectl patch --type merge` would send. */
async function patch(
  sim: KubeSim,
  p: { kind: string; namespace?: string | undefined; name: string; body: Record<string, unknown> },
): Promise<void> {
  const res = await call(sim, "PATCH", pathOf(p), "application/merge-patch+json", p.body);
  if (!res.ok) {
    throw new AegisError(
      "config_invalid",
      `setup patch of ${p.kind} ${p.namespace ?? ""}/${p.name}: HTTP ${res.status} ${await res.text()}`,
    );
  }
}

/** Appends lines, stamped with the cluster's clock as the kubelet's log would hold them, to a Deployment's pods. */
function appendLogs(sim: KubeSim, target: string, lines: string[], scenario: Scenario): void {
  const i = target.indexOf("/");
  const namespace = i < 0 ? "default" : target.slice(0, i);
  const name = target.slice(i + 1);
  const d = sim.ctx.store.peek(R.deployments, namespace, name);
  if (!d) throw new AegisError("config_invalid", `${scenario.file}: logs: no deployment ${target}`);
  const pods = podsOfDeployment(sim.ctx, d as Parameters<typeof podsOfDeployment>[1]).filter(isActive);
  if (pods.length === 0)
    throw new AegisError("config_invalid", `${scenario.file}: logs: ${target} has no pods`);
  const stamp = new Date(sim.clock.now()).toISOString();
  for (const p of pods) {
    const container = p.spec.containers[0]?.name;
    if (container) sim.ctx.logs.append(p.metadata.uid!, container, ...lines.map((l) => `${stamp} ${l}`));
  }
}
