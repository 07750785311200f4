import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { createKubernetesPlatform } from "../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { Platform } from "../../agent/platforms/platform.ts";
import { createKubeClients, type KubeClients } from "../../tools/kubernetes/client.ts";

/** The simulator's demo cluster, Kubernetes clients on it, and the Kubernetes platform over those clients. */
export interface SimPlatform {
  readonly sim: KubeSim;
  readonly kube: KubeClients;
  readonly platform: Platform;
}

/**
 * The demo cluster on the virtual clock, 5 s in (its pods scheduled and running), with clients and the platform:
 * a fresh one per test (default) or one per file; stopped after it. `wrap` puts a boundary around the platform
 * (e.g. the evidence redaction the agent goes through).
 */
export function useSimPlatform(
  opts: { per?: "test" | "file"; wrap?: (platform: Platform) => Platform } = {},
): SimPlatform {
  let live: SimPlatform | undefined;
  const before = opts.per === "file" ? beforeAll : beforeEach;
  const after = opts.per === "file" ? afterAll : afterEach;
  before(async () => {
    const sim = await startKubeSim({ clock: "virtual" });
    sim.advance(5000);
    const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
    const platform = createKubernetesPlatform({ kube });
    live = { sim, kube, platform: opts.wrap ? opts.wrap(platform) : platform };
  });
  after(async () => {
    const was = live;
    live = undefined;
    await was?.sim.stop();
  });
  const now = () => {
    if (!live) throw new Error("useSimPlatform: read inside a test");
    return live;
  };
  return {
    get sim() {
      return now().sim;
    },
    get kube() {
      return now().kube;
    },
    get platform() {
      return now().platform;
    },
  };
}
