import { Command, Option } from "commander";
import { runDemo, type DemoResult } from "../lab/demo/runDemo.ts";
import { SCENARIOS } from "../lab/demo/scenarios.ts";
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/logger.ts";
import { createDockerClient } from "../tools/docker/client.ts";
import { demoResponder } from "../app/demoResponder.ts";

/** `aegis demo`: a real container fails, real Prometheus and Alertmanager alert, AegisOps heals it. */
export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "play a failure on the local Docker engine with real Prometheus and Alertmanager, and watch AegisOps " +
        "(in auto mode, on its own temporary database) detect, heal and verify it",
    )
    .addOption(
      new Option("--scenario <name>", "which failure").choices(Object.keys(SCENARIOS)).default("leak"),
    )
    .option("--json", "print the result as JSON")
    .action(async (opts: { scenario: string; json?: boolean }) => {
      const scenario = SCENARIOS[opts.scenario]!;
      const base = loadConfig();
      const logger = createLogger({ level: "warn" });
      const abort = new AbortController();
      const onSignal = () => {
        process.stderr.write("\ninterrupted: cleaning up (containers, Prometheus, Alertmanager)...\n");
        abort.abort();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const started = Date.now();
      const progress = (line: string) =>
        process.stderr.write(`[demo +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
      let result: DemoResult;
      try {
        result = await runDemo({
          scenario,
          docker: createDockerClient(base.dockerHost),
          signal: abort.signal,
          progress,
          startResponder: demoResponder(base, logger),
        });
      } catch (err) {
        if (!abort.signal.aborted) throw err;
        process.stderr.write("demo interrupted; everything it started was stopped\n");
        process.exitCode = 130;
        return;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + "\n" : formatDemo(result));
      if (!result.passed) process.exitCode = 1;
    });
}

function ms(v: number | null): string {
  return v === null ? "-" : `${(v / 1000).toFixed(2)} s`;
}

/** The incident's story and figures, for people. */
export function formatDemo(r: DemoResult): string {
  const i = r.incident;
  const t0 = Date.parse(i.receivedAt) - r.figures.timeToDetectMs;
  const lines = [
    "",
    `Scenario ${r.scenario}: incident ${i.id} ended ${i.status.toUpperCase()}${i.statusReason ? ` (${i.statusReason})` : ""}`,
    "",
    "Timeline (from the fault):",
    ...i.timeline.map(
      (e) =>
        `  +${((Date.parse(e.at) - t0) / 1000).toFixed(2).padStart(6)} s  ${e.step.padEnd(12)} ${e.message}`,
    ),
    "",
    `Decision: ${i.decision?.action ?? "-"} (confidence ${i.decision?.confidence ?? "-"}, ${i.decision?.planner ?? "-"} planner)`,
    ...(i.verification
      ? [
          `Verification: ${i.verification.healthy ? "healthy" : "NOT healthy"}`,
          ...i.verification.evidence.map((e) => `  ${e.ok ? "ok " : "BAD"} ${e.check}: ${e.detail}`),
        ]
      : []),
    "",
    "Figures:",
    `  time to detect (fault → alert received)     ${ms(r.figures.timeToDetectMs)}`,
    `  alert received → verified healthy           ${ms(r.figures.alertToHealthyMs)}`,
    `  fault → verified healthy                    ${ms(r.figures.faultToHealthyMs)}`,
    `  requests sent / failed                      ${r.figures.requestsSent} / ${r.figures.requestsFailed}`,
    `  requests failed during the incident         ${r.figures.requestsFailedDuringIncident}`,
    "",
    r.passed
      ? `As expected: ${r.expected.action}, ${r.expected.status}.`
      : `UNEXPECTED: wanted ${r.expected.action} → ${r.expected.status}, got ${i.decision?.action ?? "-"} → ${i.status}.`,
    "",
  ];
  return lines.join("\n");
}
