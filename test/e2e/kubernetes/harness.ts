import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { policySchema, type Policy } from "../../../agent/policy/schema.ts";
import {
  type KubeSim,
  DEMO_CLUSTER,
  startKubeSim,
  resourceOf,
  type Deployment,
  type Pod,
} from "@aegisops/kube-sim";
import { postAlerts, retargeted } from "../../helpers/alerts.ts";
import { startTestAegis, waitForFinished, type TestAegis } from "../../helpers/aegis.ts";
import type { Incident } from "../../../core/types.ts";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { freeLoopbackPort as freePort } from "../../../core/ports.ts";

/** One generic alert name for every case: the evidence, not the name, must pick the action. */
export const ALERT = "KubeWorkloadUnhealthy";
const ADMIN_TOKEN = "e2e-admin-token";
/** AegisOps talks to the cluster as the ServiceAccount of the shipped RBAC manifest, so the tests prove it suffices. */
const RBAC = readFileSync(new URL("../../../deploy/kubernetes/base/rbac.yaml", import.meta.url), "utf8");

/**
 * One AegisOps for the file and a fresh demo cluster per test, always on the same port and token so the
 * kubeconfig AegisOps read at start-up stays valid. The cluster runs on a virtual clock that a ticker moves
 * (20× real time) while a test waits, so back-offs and rollouts take seconds, not minutes.
 */
export interface KubeHarness {
  aegis: TestAegis;
  sim(): KubeSim;
  /** Stop the old cluster, start a fresh one and let it settle. */
  freshCluster(): Promise<KubeSim>;
  /** Move virtual time now (synchronously), e.g. to let a fault develop before the alert. */
  advance(ms: number): void;
  /** Post one firing alert and wait for its incident to finish, with the cluster's time flowing. */
  alertAndWait(labels: Record<string, string>): Promise<Incident>;
  stop(): Promise<void>;
}

/** A policy that lets high-risk actions run in auto mode (the default asks for approval). */
export function autoHighPolicy(): Policy {
  return policySchema.parse({
    modes: { byTier: { high: "auto" } },
    verification: { retries: 0 },
    // Every test acts on the demo cluster's few deployments through one AegisOps: the per-target cap would bite.
    caps: { actionsPerTargetPerHour: 50 },
    services: {
      // The demo cluster's consumer group: 6 partitions (lab/kube-sim fixture).
      orders: { target: { namespace: "shop", deployment: "orders-consumer" }, kafka: { partitions: 6 } },
      "orders-db": {
        target: { namespace: "shop", deployment: "orders-db-primary" },
        database: { service: "orders-db" },
      },
      web: { target: { namespace: "shop", deployment: "web" }, ingress: { name: "web", limitRps: 20 } },
    },
  });
}

export interface KubeHarnessOptions {
  /** Adds to (or overrides) AegisOps's environment, e.g. PROMETHEUS_URL. */
  env?: Record<string, string>;
  /**
   * Run the agent on the cluster's clock (`deps.now`/`deps.sleep`): its waits (memory sampling, verification
   * polls and deadlines) last simulated time, which the ticker moves while an incident runs. Off by default:
   * verification then waits in real time.
   */
  clusterClock?: boolean;
  /** More manifests beside the demo cluster (multi-document YAML). */
  extraManifests?: string;
}

/** Simulated milliseconds verification may take on the cluster's clock (a rollout takes tens of seconds). */
const VERIFY_SIM_MS = 180_000;

export async function startKubeHarness(
  policy: Policy = autoHighPolicy(),
  opts: KubeHarnessOptions = {},
): Promise<KubeHarness> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "aegis-k8s-e2e-"));
  const start = async () => {
    const s = await startKubeSim({
      clock: "virtual",
      port,
      adminToken: ADMIN_TOKEN,
      rbac: RBAC,
      tls: false,
      ...(opts.extraManifests ? { fixture: `${DEMO_CLUSTER}\n---\n${opts.extraManifests}` } : {}),
    });
    s.advance(5000);
    return s;
  };
  let sim = await start();
  const kubeconfig = join(dir, "kubeconfig");
  // Plain http (client-node still sends the token), so every fresh cluster answers to the same kubeconfig.
  writeFileSync(kubeconfig, sim.kubeconfig({ token: sim.tokenFor("aegisops", "aegisops") }));
  const clock = {
    now: () => sim.clock.now(),
    // Waits until the ticker has moved the cluster's time by `ms`.
    sleep: async (ms: number) => {
      const until = sim.clock.now() + ms;
      while (sim.clock.now() < until) await new Promise((r) => setTimeout(r, 5));
    },
  };
  const aegis = await startTestAegis(
    {
      AEGIS_MODE: "auto",
      KUBECONFIG: kubeconfig,
      AEGIS_VERIFY_TIMEOUT_MS: String(opts.clusterClock ? VERIFY_SIM_MS : 15_000),
      ...opts.env,
    },
    { policy, ...(opts.clusterClock ? { clock, verifyIntervalMs: 1000 } : {}) },
  );
  return {
    aegis,
    sim: () => sim,
    async freshCluster() {
      await sim.stop();
      sim = await start();
      return sim;
    },
    advance: (ms) => sim.advance(ms),
    async alertAndWait(labels) {
      const res = await postAlerts(aegis.baseUrl, retargeted({ alertname: ALERT, ...labels }));
      if (res.status !== 202) throw new Error(`POST /alerts: HTTP ${res.status}`);
      const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
      const ticker = setInterval(() => sim.advance(500), 25);
      try {
        return await waitForFinished(aegis.baseUrl, id, 30_000);
      } finally {
        clearInterval(ticker);
      }
    },
    async stop() {
      await aegis.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Read-only views of the simulated cluster, straight from its store. */
export function look(sim: KubeSim) {
  const pods = (app: string) =>
    (sim.ctx.store.list(resourceOf("Pod"), "shop") as Pod[]).filter(
      (p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp,
    );
  return {
    pods,
    /** The names of app's live pods, sorted. */
    podNames: (app: string) =>
      pods(app)
        .map((p) => p.metadata.name)
        .sort(),
    deployment: (name: string) => sim.ctx.store.get(resourceOf("Deployment"), "shop", name) as Deployment,
    fault: (id: string) => sim.faults().find((f) => f.id === id)!,
  };
}

/**
 * One harness for the calling test file (started before its tests, stopped after) and a fresh cluster before
 * each test. The returned object stands for the harness once it has started.
 */
export function useKubeHarness(policy?: Policy, opts?: KubeHarnessOptions): KubeHarness {
  let current: KubeHarness | undefined;
  beforeAll(async () => {
    current = await startKubeHarness(policy, opts);
  });
  afterAll(async () => {
    await current?.stop();
  });
  beforeEach(async () => {
    await current!.freshCluster();
  });
  return new Proxy({} as KubeHarness, {
    get: (_, key: keyof KubeHarness) => {
      if (!current) throw new Error("the Kubernetes harness has not started (use it inside a test)");
      return current[key];
    },
  });
}

/** The names of the signals an incident's investigation found. */
export const signalsOf = (i: { evidence: { signals: Array<{ name: string }> } | null }) =>
  i.evidence?.signals.map((s) => s.name) ?? [];
