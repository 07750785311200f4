import { describe, expect, it } from "vitest";
import { deployment, manifests } from "../../helpers/kubeManifests.ts";
import { clusterManifests, useVirtualSim, walk } from "./helpers.ts";

// Latency and errors per route, with the route labels the process's exporter puts on its request metrics;
// read with the real kubectl on a virtual clock.
const RPS = { "kube-sim.aegisops.io/rps": "40" };
const FIXTURE = `
${clusterManifests(1, ["shop"])}---
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/checkout:1.0:
    otherRouteLabels: { route: /checkout, coupon: none }
    routes:
      - { path: /checkout?coupon=Promotions, share: 0.5, latencyMs: 500, labels: { route: /checkout, coupon: promotions } }
      - { path: /api/refund, share: 0.1, errorRatio: 1, code: "503", log: "ERROR refund provider unavailable" }
  ghcr.io/acme/plain:1.0: {}
  ghcr.io/acme/report:1.0:
    routes: [{ path: /report, share: 0.1, latencyMs: 2000 }]
---
${manifests(
  deployment("checkout", "shop", "ghcr.io/acme/checkout:1.0", { annotations: RPS }),
  deployment("plain", "shop", "ghcr.io/acme/plain:1.0", { annotations: RPS }),
)}`;

const { start, k, apply } = useVirtualSim(FIXTURE);

/** The value of the one series whose labels include all of `want`. */
function sample(metrics: string, name: string, want: Record<string, string>): number {
  const hits = metrics
    .split("\n")
    .filter(
      (l) => l.startsWith(`${name}{`) && Object.entries(want).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  expect(hits, `${name} ${JSON.stringify(want)}`).toHaveLength(1);
  return Number(hits[0]!.split(" ").pop());
}

describe("latency and errors per route", () => {
  it("only the promo-code requests are slow and only the refund route fails; each carries its own labels", async () => {
    const s = await start();
    walk(s, 60_000);
    const m = await k("get", "--raw", "/metrics");
    const bucket = (labels: Record<string, string>, le: string) =>
      sample(m, "http_request_duration_seconds_bucket", { service: "checkout", ...labels, le });
    const promo = { route: "/checkout", coupon: "promotions" };
    const none = { route: "/checkout", coupon: "none" };
    // Every request without a coupon answers within 250 ms; no promo request does.
    expect(bucket(none, "0.25")).toBeGreaterThan(0);
    expect(bucket(none, "0.25")).toBeCloseTo(bucket(none, "+Inf"), 6);
    expect(bucket(promo, "0.25")).toBe(0);
    expect(bucket(promo, "+Inf")).toBeGreaterThan(0);
    // The promo route takes half the traffic, the refund route a tenth, and only the refund route fails.
    const count = (labels: Record<string, string>) =>
      sample(m, "http_request_duration_seconds_count", { service: "checkout", ...labels });
    expect(count(promo) / count(none)).toBeCloseTo(0.5 / 0.4, 3);
    expect(
      sample(m, "http_requests_total", { service: "checkout", route: "/api/refund", code: "503" }),
    ).toBeGreaterThan(0);
    expect(m).not.toMatch(/http_requests_total\{[^}]*service="checkout"[^}]*coupon="promotions"[^}]*code="5/);
    // An image without routes keeps its unlabelled series.
    expect(m).toMatch(/http_requests_total\{namespace="shop",service="plain",pod="plain-[^"]+",code="200"\}/);
    const logs = await k("-n", "shop", "logs", "deploy/checkout");
    expect(logs).toContain("ERROR refund provider unavailable");
    expect(logs).toMatch(/INFO served \d+ requests in 10s \(errors 10\.0%, p95 [6-9]\d\dms\)/);
  });

  it("a readiness probe of a slow route times out while a probe of another path passes", async () => {
    const s = await start();
    const probed = (name: string, path: string) =>
      deployment(name, "shop", [
        {
          name: "app",
          image: "ghcr.io/acme/report:1.0",
          readinessProbe: { httpGet: { path, port: 8080 }, periodSeconds: 5, timeoutSeconds: 1 },
        },
      ]);
    for (const [name, path] of [
      ["report-slow", "/report"],
      ["report-ok", "/healthz"],
    ] as const) {
      await apply(probed(name, path));
    }
    walk(s, 40_000);
    expect(await k("-n", "shop", "get", "pods", "-l", "app=report-ok")).toMatch(/1\/1\s+Running/);
    expect(await k("-n", "shop", "get", "pods", "-l", "app=report-slow")).toMatch(/0\/1\s+Running/);
    expect(await k("-n", "shop", "describe", "pods", "-l", "app=report-slow")).toMatch(
      /Readiness probe failed: Get "http:\/\/[\d.]+:8080\/report": context deadline exceeded/,
    );
  });
});
