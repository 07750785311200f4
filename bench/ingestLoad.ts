/**
 * Load generator for bench/ingest.ts, run as a child process (as Alertmanager is) so the senders do not
 * compete with the server's event loop. Receives a LoadPlan over IPC, answers with a LoadResult.
 */
import { Agent, request } from "node:http";

/** What the bench asks the worker to send. */
export interface LoadPlan {
  url: string;
  token: string | undefined;
  /** Notifications sent before measuring (distinct from the measured ones). */
  warmup: number;
  total: number;
  concurrency: number;
  targets: number;
}

/** What the worker reports back. Latencies are in milliseconds, one per measured notification. */
export interface LoadResult {
  elapsedMs: number;
  latencies: Float64Array;
  failures: Record<string, number>;
  /** CPU the generator itself used while measuring (ms): it shares the machine with the server. */
  cpuMs: number;
}

const BASE_TIME = Date.parse("2026-01-01T00:00:00.000Z");

/** Notification `seq`: one alert, its own fingerprint and startsAt, on one of `targets` containers. */
function notification(seq: number, targets: number): string {
  const container = `bench-app-${seq % targets}`;
  const labels = {
    alertname: "BenchHighMemory",
    container,
    instance: `10.0.${Math.floor(seq / 250) % 256}.${seq % 250}:9100`,
    job: "bench",
    severity: "critical",
    seq: String(seq),
  };
  return JSON.stringify({
    receiver: "aegis",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels,
        annotations: { summary: `Memory above 200MB on ${container}` },
        startsAt: new Date(BASE_TIME + seq).toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph?g0.expr=app_memory_bytes+%3E+2e%2B08&g0.tab=1",
        fingerprint: seq.toString(16).padStart(16, "0"),
      },
    ],
    groupLabels: { alertname: "BenchHighMemory" },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    version: "4",
    groupKey: `{}:{alertname="BenchHighMemory",seq="${seq}"}`,
    truncatedAlerts: 0,
  });
}

async function run(plan: LoadPlan): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const url = new URL("/alerts", plan.url);
  const failures: Record<string, number> = {};

  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            ...(plan.token ? { authorization: `Bearer ${plan.token}` } : {}),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const drive = async (from: number, count: number, latencies: Float64Array | undefined) => {
    let next = 0;
    const sender = async () => {
      for (let i = next++; i < count; i = next++) {
        const body = notification(from + i, plan.targets);
        const t0 = performance.now();
        const status = await post(body).catch((err: Error) => err.message);
        if (latencies) latencies[i] = performance.now() - t0;
        if (status !== 202) failures[String(status)] = (failures[String(status)] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: plan.concurrency }, sender));
  };

  await drive(0, plan.warmup, undefined);
  const latencies = new Float64Array(plan.total);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await drive(plan.warmup, plan.total, latencies);
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  return { elapsedMs, latencies, failures, cpuMs: (cpu.user + cpu.system) / 1000 };
}

if (process.send) {
  process.once("message", (plan: LoadPlan) => {
    run(plan).then(
      (result) => process.send?.({ ok: true, result }),
      (err: unknown) => process.send?.({ ok: false, error: String(err) }),
    );
  });
}
