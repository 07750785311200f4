import { spawnSync } from "node:child_process";

/** `promtool check metrics` (Debian's prometheus package) on an exposition: its complaints, empty when clean. */
export function promtoolCheckMetrics(exposition: string): string {
  const run = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
  if (run.error) throw new Error(`promtool not runnable (apt-get install prometheus): ${run.error.message}`);
  return run.status === 0 ? "" : `${run.stdout}${run.stderr}`.trim() || `promtool exited ${run.status}`;
}
