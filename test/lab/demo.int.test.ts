import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { demoResponder } from "../../app/demoResponder.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import { runDemo } from "../../lab/demo/runDemo.ts";
import { SCENARIOS } from "../../lab/demo/scenarios.ts";
import { testDocker } from "../helpers/docker.ts";

const BIN = fileURLToPath(new URL("../../bin/aegis.js", import.meta.url));

const startResponder = demoResponder(loadConfig({}), silentLogger());

describe("chaos lab: real container, real Prometheus → Alertmanager → webhook chain", () => {
  it.each(["hung", "5xx", "crash"])(
    "%s scenario ends as a correct responder would",
    async (name) => {
      const scenario = SCENARIOS[name]!;
      const result = await runDemo({ scenario, docker: testDocker(), startResponder });
      const i = result.incident;

      expect(i.status).toBe(scenario.expectedStatus);
      expect(i.decision?.action).toBe(scenario.expectedAction);
      // The alert came from Prometheus through Alertmanager, not from the test.
      expect(i.alerts[0]?.generatorURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graph\?g0\.expr=/);
      expect(result.figures.timeToDetectMs).toBeGreaterThan(0);
      if (scenario.expectedStatus === "resolved") {
        const prom = i.verification!.evidence.filter((e) => e.check.startsWith("prometheus"));
        expect(prom.length).toBeGreaterThanOrEqual(2);
        expect(prom.every((e) => e.ok)).toBe(true);
        expect(result.figures.faultToHealthyMs).toBeGreaterThan(0);
      } else {
        expect(i.evidence?.signals.map((s) => s.name)).toContain("config_error");
        expect(i.actions).toHaveLength(0);
      }
      console.log(`[demo ${name}] ${JSON.stringify(result.figures)}`);
      // Nothing left behind.
      const left = await testDocker().listContainers({ all: true, filters: { name: [result.container] } });
      expect(left).toHaveLength(0);
    },
    90_000,
  );

  it("`aegis demo` runs non-interactively and prints the incident's timeline and figures", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, "demo", "--scenario", "leak"], {
      timeout: 90_000,
      env: { ...process.env, CI: "true" },
    });
    console.log(stdout);
    expect(stdout).toMatch(/Scenario leak: incident inc_\S+ ended RESOLVED/);
    expect(stdout).toMatch(/time to detect \(fault → alert received\)\s+\d+\.\d\d s/);
    expect(stdout).toMatch(/fault → verified healthy\s+\d+\.\d\d s/);
    expect(stdout).toMatch(/requests failed during the incident\s+\d+/);
    expect(stdout).toContain("As expected: restart_container, resolved.");
    // Verification evidence came from Prometheus: the alert's own expression, and a fresh scrape.
    expect(stdout).toMatch(/ok +prometheus TargetMemoryLeak: .* is false now/);
    expect(stdout).toMatch(/ok +prometheus up 127\.0\.0\.1:\d+: up, scraped at/);
  }, 120_000);
});
