import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../deploy/prometheus/check-rules.sh", import.meta.url));
const dir = fileURLToPath(new URL("../../deploy/prometheus/self/", import.meta.url));

describe("deploy/prometheus/self: alerts about AegisOps itself", () => {
  it("pass promtool check rules and their promtool unit tests", async () => {
    const { stdout } = await run("bash", [script, dir, "aegisops-self"], { timeout: 60_000 });
    expect(stdout).toContain("test rules tests/aegisops-self.test.yml");
    expect(stdout).toContain("check-rules: OK");
  });

  it("name no workload, so AegisOps never takes them as a target of its own", () => {
    const rules = parse(readFileSync(`${dir}rules/aegisops-self.yml`, "utf8")) as {
      groups: Array<{ rules: Array<{ alert?: string; expr: string; labels?: Record<string, string> }> }>;
    };
    const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        "AegisOpsStoppedActing",
        "AegisOpsQueueBackingUp",
        "AegisOpsFailedHealBudgetSpent",
      ]),
    );
    const workloadLabels =
      /\b(container|compose_service|pod|deployment|statefulset|daemonset|node|namespace|service)\b/;
    for (const a of alerts) {
      expect(Object.keys(a.labels ?? {}).join(" "), a.alert).not.toMatch(workloadLabels);
      expect(a.expr, a.alert).not.toMatch(/by \([^)]*\b(container|pod|deployment|namespace|service)\b/);
    }
  });
});
