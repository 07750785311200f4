import { instantPlatform } from "./fakePlatform.ts";
import { alertToActionMs } from "./alertToAction.ts";
import { startBenchAegis } from "./benchAegis.ts";
import { percentile, type BenchRow } from "./report.ts";

/**
 * Alert received → action sent with the heuristic planner, on an instant platform: the time AegisOps
 * itself adds (HTTP, durable writes, queue, LangGraph with SQLite checkpoints, planner, guard, ledger).
 */
const WARMUP = 5;

export async function benchOrchestration(runs = 200): Promise<BenchRow[]> {
  const sentAt = new Map<string, number>();
  const bench = await startBenchAegis(
    "orch",
    { AEGIS_MODE: "auto", AEGIS_VERIFY_TIMEOUT_MS: "1000" },
    { platforms: [instantPlatform((target) => sentAt.set(target, Date.now()))] },
  );
  const latencies: number[] = [];
  try {
    // A few incidents first, as in llm-overhead: the figures are a warm server's, not its first requests'.
    for (let i = -WARMUP; i < runs; i++) {
      const ms = await alertToActionMs(bench, { sentAt, container: `bench-${i}`, fingerprint: `bench${i}` });
      if (i >= 0) latencies.push(ms);
    }
  } finally {
    await bench.close();
  }
  latencies.sort((a, b) => a - b);
  const p99 = percentile(latencies, 99);
  return [
    { name: "alert → action sent p50", value: percentile(latencies, 50), unit: "ms", goal: "", ok: true },
    { name: "alert → action sent p99", value: p99, unit: "ms", goal: "< 50", ok: p99 < 50 },
  ];
}
