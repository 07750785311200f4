import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** `promtool check metrics` (Debian's prometheus package) on an exposition: its complaints, empty when clean. */
export function promtoolCheckMetrics(exposition: string): string {
  const run = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
  if (run.error) throw new Error(`promtool not runnable (apt-get install prometheus): ${run.error.message}`);
  return run.status === 0 ? "" : `${run.stdout}${run.stderr}`.trim() || `promtool exited ${run.status}`;
}

/** One rule of a Prometheus rule file: an alerting rule (`alert`) or a recording rule (`record`). */
export interface PromRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Every rule of a Prometheus rule file, group after group. */
export function rulesOf(file: string): PromRule[] {
  const doc = parse(readFileSync(file, "utf8")) as { groups: Array<{ rules: PromRule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}
