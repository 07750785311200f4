import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAegis } from "../app/compose.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/logger.ts";
import { startPrometheus, waitForTargetsUp } from "../lab/stack/prometheus.ts";
import { PROFILES } from "../lab/stack/profiles.ts";
import { startServer } from "../server/listen.ts";
import { fault, freePort, removeContainer, runTarget, uniqueName, waitFor } from "../test/helpers/docker.ts";
import { alertToResolved } from "./alertToAction.ts";
import { percentile, type BenchRow } from "./report.ts";

/**
 * Real Docker and Prometheus (the lab's fast profile, 200 ms scrapes): a target leaks memory (or answers 5xx), the
 * alert arrives, AegisOps with PROMETHEUS_URL reads the memory trend as a range query instead of sampling the engine,
 * restarts it and verifies it healthy; with 5xx, the users' failed requests Prometheus counted stand for probing the
 * health URL again. Figure: incident mttrMs (alert received → verified healthy) per fault.
 */
export async function benchPrometheusHistory(runs = 5): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [kind, goalMs] of [
    ["leak", 500],
    ["5xx", 300],
  ] as const) {
    const mttr = await runsOf(kind, runs);
    const p50 = percentile(mttr, 50);
    rows.push(
      {
        name: `${kind} with Prometheus: alert → verified healthy p50`,
        value: p50,
        unit: "ms",
        goal: `< ${goalMs}`,
        ok: p50 < goalMs,
      },
      { name: `${kind} with Prometheus: max`, value: mttr.at(-1) ?? NaN, unit: "ms", goal: "", ok: true },
    );
  }
  return rows;
}

async function runsOf(kind: "leak" | "5xx", runs: number): Promise<number[]> {
  const mttr: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), "aegis-bench-prom-"));
    const name = uniqueName(`bench-prom-${kind}-${i}`);
    const port = await freePort();
    const cleanups: Array<() => Promise<unknown>> = [() => removeContainer(name)];
    try {
      await runTarget({ name, port });
      await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target up" });
      const prometheus = await startPrometheus({
        dir,
        profile: PROFILES.fast,
        targets: [{ address: `127.0.0.1:${port}`, labels: { container: name } }],
      });
      cleanups.push(() => prometheus.stop());
      await waitForTargetsUp(prometheus.url, 1, 30_000);
      const config = loadConfig({
        AEGIS_DB: join(dir, "aegis.db"),
        AEGIS_MODE: "auto",
        PROMETHEUS_URL: prometheus.url,
      });
      const aegis = await createAegis(config, { logger: silentLogger(), verifyIntervalMs: 50 });
      const server = await startServer(aegis.app, "127.0.0.1", 0);
      cleanups.push(async () => {
        await server.close();
        await aegis.close();
      });
      await aegis.runner.start();
      // A few seconds of flat history first, as a real target has before its fault.
      await new Promise((r) => setTimeout(r, 2000));
      await fault(port, kind);
      const alertname = kind === "leak" ? "TargetMemoryLeak" : "TargetHighErrorRate";
      // Prometheus must see the fault first, as it would have to fire the alert: the leak grow, the users' requests
      // fail over a few scrapes.
      if (kind === "5xx") await usersFor(port, 1000);
      else await new Promise((r) => setTimeout(r, 1000));
      const incident = await alertToResolved(
        { aegis, server },
        {
          labels: { alertname, container: name },
          startsAt: new Date(Date.now() - 1000).toISOString(),
          run: `${kind} run ${i}`,
        },
      );
      mttr.push(incident.mttrMs);
      const signals = incident.evidence?.signals.map((s) => `${s.name}: ${s.detail}`).join("; ");
      process.stderr.write(`  ${kind} run ${i + 1}/${runs}: ${incident.mttrMs} ms (${signals})\n`);
    } finally {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return mttr.sort((a, b) => a - b);
}

/** Users' requests to the target for `ms` (one every 50 ms), as the traffic whose errors fire a 5xx alert. */
async function usersFor(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await fetch(`http://127.0.0.1:${port}/`).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 50));
  }
}
