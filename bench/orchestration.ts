import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAegis } from "../app/compose.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/logger.ts";
import { startServer } from "../server/listen.ts";
import { instantPlatform } from "./fakePlatform.ts";
import { alertToActionMs } from "./alertToAction.ts";
import { percentile, type BenchRow } from "./report.ts";

/**
 * Alert received → action sent with the heuristic planner, on an instant platform: the time AegisOps
 * itself adds (HTTP, durable writes, queue, LangGraph with SQLite checkpoints, planner, guard, ledger).
 */
const WARMUP = 5;

export async function benchOrchestration(runs = 200): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-orch-"));
  const sentAt = new Map<string, number>();
  const config = loadConfig({
    AEGIS_DB: join(dir, "aegis.db"),
    AEGIS_MODE: "auto",
    AEGIS_VERIFY_TIMEOUT_MS: "1000",
  });
  const aegis = await createAegis(config, {
    logger: silentLogger(),
    platforms: [instantPlatform((target) => sentAt.set(target, Date.now()))],
  });
  const server = await startServer(aegis.app, "127.0.0.1", 0);
  await aegis.runner.start();
  const latencies: number[] = [];
  try {
    // A few incidents first, as in llm-overhead: the figures are a warm server's, not its first requests'.
    for (let i = -WARMUP; i < runs; i++) {
      const container = `bench-${i}`;
      const ms = await alertToActionMs({
        serverUrl: server.url,
        idle: () => aegis.runner.idle(),
        sentAt,
        container,
        fingerprint: `bench${i}`,
      });
      if (i >= 0) latencies.push(ms);
    }
  } finally {
    await server.close();
    await aegis.close();
    rmSync(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  const p99 = percentile(latencies, 99);
  return [
    { name: "alert → action sent p50", value: percentile(latencies, 50), unit: "ms", goal: "", ok: true },
    { name: "alert → action sent p99", value: p99, unit: "ms", goal: "< 50", ok: p99 < 50 },
  ];
}
