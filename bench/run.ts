/**
 * Run the benchmarks and print their figures: `npx tsx bench/run.ts [--json] [--check] [name ...]`.
 * `--check` exits 1 when a figure misses its goal (timing goals live here, never in tests).
 */
import { benchCliStartup } from "./cliStartup.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchDemo } from "./demo.ts";
import { benchDockerRestart } from "./dockerRestart.ts";
import { benchPrometheusHistory } from "./prometheusHistory.ts";
import { benchEvalSuite } from "./evalSuite.ts";
import { benchIngestStores } from "./ingest.ts";
import { benchLlmOverhead } from "./llmOverhead.ts";
import { benchOrchestration } from "./orchestration.ts";
import { benchDetectHeldout } from "./detectHeldout.ts";
import { benchDetect, benchWatcher } from "./predictive.ts";
import { formatTable, type Bench, type BenchRow } from "./report.ts";
import { benchRunbookMemory } from "./runbookMemory.ts";
import { benchStorm, benchStormStores } from "./storm.ts";

/** Every benchmark this runner knows, in run order. */
export const BENCHES: Bench[] = [
  { name: "ingest", run: () => benchIngestStores() },
  { name: "storm", run: () => benchStormStores() },
  // Every alert names its own target: every one opens an incident, so the agent works throughout the storm.
  { name: "storm-distinct", run: () => benchStormStores({ targets: 4500 }) },
  // The same with the webhook's SQLite commits not fsynced (AEGIS_DB_SYNCHRONOUS=normal).
  {
    name: "storm-distinct-normal",
    run: () => benchStorm({ targets: 4500, dbSynchronous: "normal" }),
  },
  // The same storms with the agent on the webhook's event loop (AEGIS_AGENT_PROCESS=inline), for comparison.
  { name: "storm-inline", run: () => benchStorm({ agentProcess: "inline" }) },
  { name: "storm-distinct-inline", run: () => benchStorm({ targets: 4500, agentProcess: "inline" }) },
  { name: "orchestration", run: () => benchOrchestration() },
  { name: "llm-overhead", run: () => benchLlmOverhead() },
  { name: "docker-restart", run: () => benchDockerRestart() },
  { name: "prometheus-history", run: () => benchPrometheusHistory() },
  { name: "demo", run: () => benchDemo() },
  { name: "runbook-memory", run: () => benchRunbookMemory() },
  { name: "eval-suite", run: () => benchEvalSuite() },
  { name: "cli-startup", run: () => benchCliStartup() },
  { name: "detect", run: () => benchDetect() },
  // Whether the newest detector version generalises (NAB halves both ways, random halves, synthetic series).
  { name: "detect-heldout", run: () => benchDetectHeldout() },
  { name: "watcher", run: () => benchWatcher() },
  { name: "dashboard", run: () => benchDashboard() },
];

const USAGE = `Usage: npm run bench -- [--json] [--check] [name ...]

Runs the benchmarks (all of them, in this order, when no name is given) and prints their figures against
their goals. Timing goals live here, never in tests.

Options:
  --json    print the rows as JSON instead of a table
  --check   exit 1 when a figure misses its goal
  --help    this text

Benchmarks: ${BENCHES.map((b) => b.name).join(", ")}`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const unknownFlags = argv.filter((a) => a.startsWith("-") && !["--json", "--check"].includes(a));
  if (unknownFlags.length > 0) {
    console.error(`unknown option: ${unknownFlags.join(", ")} (see --help)`);
    return 2;
  }
  const json = argv.includes("--json");
  const check = argv.includes("--check");
  const names = argv.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown bench: ${unknown.join(", ")} (known: ${BENCHES.map((b) => b.name).join(", ")})`);
    return 2;
  }
  const selected = names.length > 0 ? BENCHES.filter((b) => names.includes(b.name)) : BENCHES;

  const rows: Array<BenchRow & { bench: string }> = [];
  for (const bench of selected) {
    if (!json) console.error(`running ${bench.name} ...`);
    for (const row of await bench.run()) rows.push({ bench: bench.name, ...row });
  }
  console.log(json ? JSON.stringify(rows, null, 2) : formatTable(rows));
  return check && rows.some((r) => !r.ok) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
