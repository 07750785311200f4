import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestAegis, waitForFinished, type TestAegis } from "../helpers/aegis.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { fault, freePort, removeContainersNamed, runTarget, uniqueName, waitFor } from "../helpers/docker.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";

const prefix = uniqueName("ownmetrics");
let t: TestAegis;
let prom: TestPrometheus;

beforeAll(async () => {
  t = await startTestAegis({ AEGIS_MODE: "auto", AEGIS_VERIFY_TIMEOUT_MS: "20000" });
  prom = await startPrometheus([`127.0.0.1:${t.server.port}`]);
});

afterAll(async () => {
  await prom?.stop();
  await t?.stop();
  await removeContainersNamed(prefix);
});

/** One instant query's single value, or undefined while the series does not exist yet. */
async function query(expr: string): Promise<number | undefined> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  const v = body.data?.result?.[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

describe("AegisOps' own metrics scraped by a real Prometheus", () => {
  it("a healed leak shows up as a verified restart, a recovery time and a resolved incident", async () => {
    const name = `${prefix}-leak`;
    const port = await freePort();
    await runTarget({ name, port, memoryMb: 1024 });
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target up" });
    await fault(port, "leak");
    const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const incident = await waitForFinished(t.baseUrl, id);
    expect(incident.status).toBe("resolved");

    const verified = 'aegis_actions_total{action="restart_container",outcome="verified"}';
    await waitFor(async () => (await query(verified)) === 1, {
      timeoutMs: 15_000,
      what: "the scrape to see it",
    });
    expect(await query('aegis_incidents{status="resolved"}')).toBe(1);
    expect(await query("aegis_alert_to_verified_seconds_count")).toBe(1);
    expect(await query("aegis_alert_to_verified_seconds_sum")).toBeCloseTo(incident.mttrMs! / 1000, 3);
    expect(await query('aegis_webhook_requests_total{code="202"}')).toBe(1);
    expect(await query("aegis_agent_queue_depth")).toBe(0);
    expect(await query("process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});
