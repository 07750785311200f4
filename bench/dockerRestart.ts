import { fault, freePort, removeContainer, runTarget, uniqueName, waitFor } from "../test/helpers/docker.ts";
import { alertToResolved } from "./alertToAction.ts";
import { startBenchAegis } from "./benchAegis.ts";
import { percentile, type BenchRow } from "./report.ts";

/**
 * Real Docker: a target starts answering 5xx, the alert arrives, AegisOps restarts it and verifies it
 * healthy. Figure: incident mttrMs (alert received → verified healthy) over `runs` runs.
 */
export async function benchDockerRestart(runs = 10): Promise<BenchRow[]> {
  // The cap would stop the 4th restart of one target within the hour; the bench uses one target per run.
  const bench = await startBenchAegis("docker", { AEGIS_MODE: "auto" }, { verifyIntervalMs: 50 });
  const mttr: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const name = uniqueName(`bench-restart-${i}`);
      const port = await freePort();
      try {
        await runTarget({ name, port });
        await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), {
          what: "target up",
        });
        await fault(port, "5xx");
        const incident = await alertToResolved(bench, {
          labels: { alertname: "ContainerUnhealthy", container: name },
          startsAt: new Date().toISOString(),
          run: `run ${i}`,
        });
        mttr.push(incident.mttrMs);
        process.stderr.write(`  run ${i + 1}/${runs}: ${incident.mttrMs} ms\n`);
      } finally {
        await removeContainer(name);
      }
    }
  } finally {
    await bench.close();
  }
  mttr.sort((a, b) => a - b);
  const p50 = percentile(mttr, 50);
  return [
    { name: "alert → verified healthy p50", value: p50, unit: "ms", goal: "< 1500", ok: p50 < 1500 },
    { name: "alert → verified healthy max", value: mttr.at(-1) ?? NaN, unit: "ms", goal: "", ok: true },
  ];
}
