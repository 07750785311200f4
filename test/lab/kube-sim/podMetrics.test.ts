import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeSim, startKubeSim } from "@aegisops/kube-sim";
import { kubectl, kubectlEnv } from "./helpers.ts";

interface PodMetrics {
  metadata: { name: string; namespace: string };
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: { cpu: string; memory: string } }>;
}

let sim: KubeSim;
let env: ReturnType<typeof kubectlEnv>;
const get = async (path: string) => {
  const res = await fetch(sim.url + path, { headers: { authorization: `Bearer ${sim.adminToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const mib = (q: string) => Number(q.replace(/Ki$/, "")) / 1024;

beforeAll(async () => {
  sim = await startKubeSim({ clock: "virtual" });
  sim.advance(5000);
  env = kubectlEnv(sim);
});
afterAll(async () => {
  await sim.stop();
  env.cleanup();
});

describe("metrics.k8s.io (what metrics-server serves)", () => {
  it("is discoverable and read by kubectl top", async () => {
    const top = await kubectl(env, ["top", "pod", "-n", "shop", "-l", "app=checkout"]);
    expect(top.code, top.stderr).toBe(0);
    const lines = top.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines[1]).toMatch(/^checkout-\S+\s+\d+m\s+96Mi\s*$/);
  });

  it("lists and gets PodMetrics that follow the working set of a leaking release", async () => {
    sim.inject({ family: "memory_leak", target: "shop/checkout", variant: "leaky_release" });
    sim.advance(60_000);
    const list = await get("/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods?labelSelector=app%3Dcheckout");
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe("PodMetricsList");
    const items = list.body.items as PodMetrics[];
    const name = items[0]!.metadata.name;
    const first = mib(items[0]!.containers[0]!.usage.memory);
    sim.advance(60_000);
    const one = await get(`/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods/${name}`);
    const pm = one.body as unknown as PodMetrics;
    expect(pm.window).toBe("15s");
    expect(Date.parse(pm.timestamp)).toBe(Math.floor(sim.clock.now() / 1000) * 1000);
    // 16 MiB/min for the minute between the two readings.
    expect(mib(pm.containers[0]!.usage.memory) - first).toBeCloseTo(16, 0);
    expect((await get("/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods/nope")).status).toBe(404);
  });
});
