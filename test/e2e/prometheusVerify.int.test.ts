import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { startTestAegis, waitForFinished, type TestAegis } from "../helpers/aegis.ts";
import { fault, useDockerHarness, waitFor } from "../helpers/docker.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";
import { createPrometheusRangeQueryTool } from "../../tools/prometheus/rangeQuery.ts";

const h = useDockerHarness("prom");
let t: TestAegis;
let prom: TestPrometheus;
let port: number;
let name: string;

beforeAll(async () => {
  ({ name, port } = await h.target("web"));
  prom = await startPrometheus([`127.0.0.1:${port}`]);
  t = await startTestAegis({
    AEGIS_MODE: "auto",
    PROMETHEUS_URL: prom.url,
    AEGIS_VERIFY_TIMEOUT_MS: "15000",
  });
}, 90_000);

afterAll(async () => {
  await t?.stop();
  await prom?.stop();
});

/**
 * Posts ContainerUnhealthy for the target as Prometheus fires it from `expr`; its generatorURL points at some other
 * host, so verification must use PROMETHEUS_URL.
 */
function postUnhealthy(expr: string) {
  const payload = retargeted({
    alertname: "ContainerUnhealthy",
    container: name,
    instance: `127.0.0.1:${port}`,
    job: "target",
  });
  payload.alerts[0]!.generatorURL = `http://prometheus.invalid:9090/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1`;
  return postAlerts(t.baseUrl, payload);
}

describe("verification against a real Prometheus", () => {
  it("re-evaluates the alert's own expression on samples scraped after the action", async () => {
    await fault(port, "5xx");
    const expr = 'target_fault{kind="5xx"} == 1';
    // Prometheus must see the fault before the alert, as it would have to fire it.
    await waitFor(
      async () => {
        const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
        return ((await r.json()) as { data: { result: unknown[] } }).data.result.length > 0;
      },
      { what: "the fault in Prometheus" },
    );
    const res = await postUnhealthy(expr);
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;

    const incident = await waitForFinished(t.baseUrl, id);

    expect(incident.status).toBe("resolved");
    const checks = Object.fromEntries(incident.verification!.evidence.map((e) => [e.check, e]));
    expect(checks[`prometheus up 127.0.0.1:${port}`]?.ok).toBe(true);
    expect(checks["prometheus ContainerUnhealthy"]?.ok).toBe(true);
    expect(checks["prometheus ContainerUnhealthy"]?.detail).toContain("is false now");
    // The scrape that proved it up came after the action.
    const scraped = /scraped at (\S+)/.exec(checks[`prometheus up 127.0.0.1:${port}`]!.detail)![1]!;
    expect(Date.parse(scraped)).toBeGreaterThanOrEqual(Date.parse(incident.actedAt!));
  });

  it("the range-query tool returns a series' recent points, oldest first, for trend questions", async () => {
    const tool = createPrometheusRangeQueryTool({ prometheusUrl: prom.url });
    const start = new Date(Date.now() - 5000).toISOString();
    const query = `process_resident_memory_bytes{instance="127.0.0.1:${port}"}`;
    // Prometheus may have scraped this target for only a second or two yet: wait for a few points.
    const result = await waitFor(
      async () => {
        const r = await tool.execute({ query, start, stepSeconds: 0.5 });
        return r.series.length === 1 && r.series[0]!.points.length >= 3 ? r : undefined;
      },
      { what: "three points in the range", timeoutMs: 15_000, intervalMs: 250 },
    );
    const points = result.series[0]!.points;
    expect(points.every(([, v]) => v > 1e6)).toBe(true);
    expect(points.map(([t]) => t)).toEqual([...points.map(([t]) => t)].sort((a, b) => a - b));
    await expect(tool.execute({ query: "rate(", start })).rejects.toThrow(
      /Prometheus query failed \(bad_data\)/,
    );
  });

  it("control: an alert whose expression is back to normal by the time of deciding → dismissed, saying why", async () => {
    const expr = 'target_fault{kind="5xx"} == 1';
    const res = await postUnhealthy(expr);
    const incident = await waitForFinished(t.baseUrl, (res.body.incidents as Array<{ id: string }>)[0]!.id);

    expect(incident.status).toBe("dismissed");
    expect(incident.statusReason).toMatch(
      /alert no longer current: .*the metric is back to normal; nothing to do/,
    );
    expect(incident.actions).toHaveLength(0);
  });
});
