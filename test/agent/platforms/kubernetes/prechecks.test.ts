import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKubernetesPlatform } from "../../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { Platform } from "../../../../agent/platforms/platform.ts";
import type { Target } from "../../../../core/types.ts";
import { decisionFor as decision } from "../../../helpers/decisions.ts";
import { resourceOf, startKubeSim, type Deployment, type KubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../../tools/kubernetes/client.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

// Each action's own pre-check, read from the simulated cluster just before it would run.
let sim: KubeSim;
let platform: Platform;
beforeEach(async () => {
  sim = await startKubeSim({ clock: "virtual" });
  sim.advance(5000);
  platform = createKubernetesPlatform({
    kube: createKubeClients({ kind: "string", yaml: sim.kubeconfig() }),
  });
});
afterEach(async () => {
  await sim?.stop();
});

const web: Target = k8sWorkload("web");
const node: Target = { kind: "k8s_node", key: "k8s::node/sim-node-3", name: "sim-node-3" };
const replicas = () =>
  (sim.ctx.store.get(resourceOf("Deployment"), "shop", "web") as Deployment).spec.replicas;

describe("per-action pre-checks (refused: nothing changed, escalated)", () => {
  it("rollback_deployment of a Deployment with one revision → refused, nothing to roll back to", async () => {
    const err = await platform.execute(decision("rollback_deployment"), web).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "action_failed", details: { escalate: true } });
    expect(String(err)).toMatch(
      /pre-check: deployment shop\/web has no earlier revision to roll back to; nothing was changed/,
    );
  });

  it("scale_deployment to the count it already wants → refused; to another count → runs", async () => {
    const now = replicas();
    await expect(platform.execute(decision("scale_deployment", { replicas: now }), web)).rejects.toThrow(
      /already wants 3 replica\(s\)/,
    );
    await platform.execute(decision("scale_deployment", { replicas: (now ?? 1) + 1 }), web);
    expect(replicas()).toBe((now ?? 1) + 1);
  });

  it("cordon_drain_node of a node already cordoned and empty → refused; a node with pods → drained", async () => {
    await platform.execute(decision("cordon_drain_node"), node);
    sim.advance(60_000);
    await expect(platform.execute(decision("cordon_drain_node"), node)).rejects.toThrow(
      /already cordoned and has no pods a drain would move/,
    );
  });

  it("rollout_restart of a paused Deployment or one at 0 replicas → refused; of a running one → runs", async () => {
    const d = () => sim.ctx.store.get(resourceOf("Deployment"), "shop", "web") as Deployment;
    const edit = (change: (x: Deployment) => void) => {
      const next = structuredClone(d());
      change(next);
      sim.ctx.store.update(resourceOf("Deployment"), {
        ...next,
        metadata: { ...next.metadata, resourceVersion: undefined },
      });
    };
    edit((x) => (x.spec.paused = true));
    await expect(platform.execute(decision("rollout_restart"), web)).rejects.toThrow(
      /pre-check: .*is paused/,
    );
    edit((x) => {
      x.spec.paused = false;
      x.spec.replicas = 0;
    });
    await expect(platform.execute(decision("rollout_restart"), web)).rejects.toThrow(
      /runs 0 replicas: nothing to restart/,
    );
    edit((x) => (x.spec.replicas = 2));
    const generation = d().metadata.generation ?? 0;
    await platform.execute(decision("rollout_restart"), web);
    expect(d().metadata.generation).toBeGreaterThan(generation);
  });

  it("restart_pod of a pod already gone → refused, nothing deleted", async () => {
    const err = await platform
      .execute(decision("restart_pod", { pod: "web-gone-12345" }), web)
      .catch((e: unknown) => e);
    expect(String(err)).toMatch(/pre-check: pod shop\/web-gone-12345 is already gone/);
    expect(err).toMatchObject({ details: { escalate: true } });
  });
});
