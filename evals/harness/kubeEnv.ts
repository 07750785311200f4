import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AegisError } from "../../core/errors.ts";
import { R, isActive } from "../../lab/kube-sim/controllers/context.ts";
import { startKubeSim, type KubeSim } from "../../lab/kube-sim/index.ts";
import { podsOfDeployment } from "../../lab/kube-sim/load.ts";
import { apiVersionOf, resourceOf } from "../../lab/kube-sim/resources.ts";
import type { Scenario } from "./scenario.ts";

type KubeEnvSpec = Extract<Scenario["environment"], { kind: "kubernetes" }>;

/** AegisOps acts as the ServiceAccount of the shipped manifest, so an eval also proves the role suffices. */
const RBAC_FILE = new URL("../../deploy/kubernetes/base/rbac.yaml", import.meta.url);

/** A simulated cluster prepared for one scenario: set up, faults injected and left to develop. */
export interface KubeEnv {
  sim: KubeSim;
  /** kubeconfig (YAML) with the AegisOps ServiceAccount's token. */
  kubeconfig: string;
  stop(): Promise<void>;
}

/** Virtual step of the cluster's clock while the agent works; ~50× real time with the ticker. */
export const TICK_VIRTUAL_MS = 500;
export const TICK_REAL_MS = 10;
/**
 * Longest virtual step of one controller pass. A scenario's development (tens of simulated seconds before
 * the first alert) is most of a run's cost at the simulator's default 1 s; 5 s still resolves its timings
 * (pod start, crash back-off from 10 s, HPA sync every 15 s). The agent's own steps are shorter anyway.
 */
export const SIM_STEP_MS = 5000;

export async function startKubeEnv(spec: KubeEnvSpec, scenario: Scenario): Promise<KubeEnv> {
  const fixture =
    spec.cluster === "demo" ? undefined : readFileSync(join(dirname(scenario.file), spec.cluster), "utf8");
  const sim = await startKubeSim({
    clock: "virtual",
    port: 0,
    rbac: readFileSync(RBAC_FILE, "utf8"),
    tls: false,
    stepMs: SIM_STEP_MS,
    name: scenario.id,
    ...(fixture !== undefined ? { fixture } : {}),
  });
  try {
    sim.advance(5_000);
    for (const step of spec.setup) await patch(sim, step.patch);
    sim.advance(5_000);
    for (const f of spec.faults) {
      try {
        sim.inject(f as Parameters<KubeSim["inject"]>[0]);
      } catch (err) {
        throw new AegisError(
          "config_invalid",
          `${scenario.file}: fault ${f.family}: ${(err as Error).message}`,
        );
      }
    }
    sim.advance(spec.developMs);
    for (const l of spec.logs) appendLogs(sim, l.target, l.lines, scenario);
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return {
    sim,
    kubeconfig: sim.kubeconfig({ token: sim.tokenFor("aegisops", "aegisops") }),
    stop: () => sim.stop(),
  };
}

/** A merge patch through the simulator's own API, as an operator's `kubectl patch --type merge` would send. */
async function patch(
  sim: KubeSim,
  p: { kind: string; namespace?: string | undefined; name: string; body: Record<string, unknown> },
): Promise<void> {
  const r = resourceOf(p.kind);
  const prefix = r.group ? `/apis/${apiVersionOf(r)}` : `/api/${r.version}`;
  const ns = r.namespaced ? `/namespaces/${p.namespace ?? "default"}` : "";
  const res = await fetch(`${sim.url}${prefix}${ns}/${r.plural}/${p.name}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/merge-patch+json" },
    body: JSON.stringify(p.body),
  });
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
