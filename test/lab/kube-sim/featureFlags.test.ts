import { describe, expect, it } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { clusterManifests, deployment, manifests, service } from "../../helpers/kubeManifests.ts";
import { useVirtualSim, walk } from "./helpers.ts";
import { metric } from "./world.ts";

// Feature flags a process re-reads (flagd's JSON in a ConfigMap key, as the OpenTelemetry Demo uses them),
// turned on and off with the real kubectl on a virtual clock.
const flagd = (on: Record<string, string>) =>
  JSON.stringify({
    flags: Object.fromEntries(
      ["adFailure", "adHighCpu", "loadGeneratorFloodHomepage"].map((f) => [
        f,
        { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: on[f] ?? "off" },
      ]),
    ),
  });

const FIXTURE = manifests(
  `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/ad:1.0.0:
    flags:
      configMap: flagd-config
      key: demo.flagd.json
      when:
        - { flag: adFailure, behaviour: { routes: [{ path: /oteldemo.AdService/GetAds, errorRatio: 0.1, code: "500", share: 1, log: "ERROR GetAds failed: flag adFailure" }] } }
        - { flag: adHighCpu, behaviour: { cpuMillicores: 900 } }
  ghcr.io/acme/loadgen:1.0.0:
    load: [{ service: web, rps: 5 }]
    flags:
      configMap: flagd-config
      key: demo.flagd.json
      when: [{ flag: loadGeneratorFloodHomepage, behaviour: { load: [{ service: web, rps: 400 }] } }]
  ghcr.io/acme/web:1.0.0: {}`,
  clusterManifests(1, ["demo"]),
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "flagd-config", namespace: "demo" },
    data: { "demo.flagd.json": flagd({}) },
  },
  deployment("ad", "demo", [
    {
      name: "ad",
      image: "ghcr.io/acme/ad:1.0.0",
      resources: { requests: { cpu: "100m" }, limits: { cpu: "300m" } },
      readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5 },
    },
  ]),
  deployment("web", "demo", [{ name: "web", image: "ghcr.io/acme/web:1.0.0" }], {
    annotations: { "kube-sim.aegisops.io/rps": "10", "kube-sim.aegisops.io/capacity-rps": "100" },
  }),
  service("web", "demo", { port: 8080 }),
  deployment("loadgen", "demo", [{ name: "loadgen", image: "ghcr.io/acme/loadgen:1.0.0" }]),
);

const { start, k, podName } = useVirtualSim(FIXTURE);

const setFlags = (on: Record<string, string>) =>
  k(
    "-n",
    "demo",
    "patch",
    "configmap",
    "flagd-config",
    "--type",
    "merge",
    "-p",
    JSON.stringify({ data: { "demo.flagd.json": flagd(on) } }),
  );

/** The increase of a counter over the next `ms`. */
function rise(sim: KubeSim, ms: number, name: string, labels: Record<string, string>): number {
  const before = metric(sim, name, labels);
  walk(sim, ms);
  return metric(sim, name, labels) - before;
}

describe("feature flags read by the process", () => {
  it("a flag turned on in the ConfigMap fails the route it guards; turned off, it stops, with no restart", async () => {
    const s = await start();
    walk(s, 10_000);
    expect(rise(s, 20_000, "http_requests_total", { service: "ad", code: "500" })).toBe(0);
    await setFlags({ adFailure: "on" });
    expect(rise(s, 30_000, "http_requests_total", { service: "ad", code: "500" })).toBeGreaterThan(0);
    const pod = await podName("demo", "app=ad");
    expect(await k("-n", "demo", "logs", pod)).toContain("GetAds failed: flag adFailure");
    await setFlags({});
    walk(s, 2000);
    expect(rise(s, 20_000, "http_requests_total", { service: "ad", code: "500" })).toBe(0);
    expect(await k("-n", "demo", "get", "pods", pod)).toMatch(new RegExp(`${pod}\\s+1/1\\s+Running\\s+0`));
  });

  it("a CPU-burning flag is throttled at the container's CPU limit (cAdvisor's CFS counters)", async () => {
    const s = await start();
    walk(s, 10_000);
    const labels = { namespace: "demo", container: "ad" };
    expect(rise(s, 20_000, "container_cpu_cfs_throttled_periods_total", labels)).toBe(0);
    await setFlags({ adHighCpu: "on" });
    expect(rise(s, 20_000, "container_cpu_cfs_throttled_periods_total", labels)).toBeGreaterThan(0);
  });

  it("a load generator's flood flag sends its requests to the Service: the pods behind it shed load (503)", async () => {
    const s = await start();
    walk(s, 10_000);
    const calm = rise(s, 20_000, "http_requests_total", { service: "web" });
    expect(rise(s, 20_000, "http_requests_total", { service: "web", code: "503" })).toBe(0);
    await setFlags({ loadGeneratorFloodHomepage: "on" });
    walk(s, 2000);
    expect(rise(s, 20_000, "http_requests_total", { service: "web" })).toBeGreaterThan(calm * 10);
    expect(rise(s, 20_000, "http_requests_total", { service: "web", code: "503" })).toBeGreaterThan(0);
  });
});
