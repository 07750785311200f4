import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubernetesPlatform } from "../../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { PromRangeResult } from "../../../../tools/prometheus/rangeQuery.ts";
import { createKubeClients } from "../../../../tools/kubernetes/client.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

/** A range-query answer captured from a real Prometheus 2.42. */
const MATRIX = readFileSync(
  new URL("../../../tools/prometheus/fixtures/matrix-up.json", import.meta.url),
  "utf8",
);
const target = k8sWorkload("web");
// The tools are only listed and the PromQL one called: no cluster is needed behind this kubeconfig.
const kube = createKubeClients({
  kind: "string",
  yaml: `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:9" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
});

let server: Server;
let prometheusUrl: string;
const asked: URL[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    asked.push(url);
    const ok = url.pathname === "/api/v1/query_range";
    res.writeHead(ok ? 200 : 404, { "content-type": "application/json" });
    res.end(ok ? MATRIX : "404 page not found\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  prometheusUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("Kubernetes platform: read-only tools for a planner that investigates", () => {
  it("offers PromQL instant and range queries when PROMETHEUS_URL is set, and runs the range query", async () => {
    const tools = createKubernetesPlatform({ kube, prometheusUrl }).readOnlyTools!(target);
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["prometheus_query", "prometheus_query_range"]));
    expect(tools.every((t) => t.risk === null)).toBe(true);
    const range = tools.find((t) => t.name === "prometheus_query_range")!;
    const out = (await range.execute({
      query: "up",
      start: "2026-11-24T10:00:00Z",
      end: "2026-11-24T10:05:00Z",
      stepSeconds: 30,
    })) as PromRangeResult;
    expect(out.series[0]?.points[0]).toEqual([1795456683398, 1]);
    expect(asked.at(-1)?.searchParams.get("step")).toBe("30");
  });

  it("offers no PromQL without a Prometheus", () => {
    const names = createKubernetesPlatform({ kube }).readOnlyTools!(target).map((t) => t.name);
    expect(names.some((n) => n.startsWith("prometheus_"))).toBe(false);
    expect(names).toContain("k8s_list_pods");
  });
});
