import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { rulesOf, type PromRule } from "../helpers/promtool.ts";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("../../lab/prometheus/", import.meta.url));

type Rule = PromRule;

function alertRules(profile: "fast" | "realistic"): Rule[] {
  return rulesOf(`${dir}rules/${profile}.yml`).filter((r) => r.alert);
}

const EXPECTED = [
  "TargetCPUSaturated",
  "TargetDown",
  "TargetHighErrorRate",
  "TargetHighLatency",
  "TargetMemoryLeak",
];

describe("lab alerting rules", () => {
  it("pass promtool check rules and the promtool unit tests of both profiles", async () => {
    const { stdout } = await run("bash", [`${dir}check-rules.sh`], { timeout: 60_000 });
    expect(stdout).toContain("check rules rules/fast.yml");
    expect(stdout).toContain("check rules rules/realistic.yml");
    expect(stdout).toContain("test rules tests/fast.test.yml");
    expect(stdout).toContain("test rules tests/realistic.test.yml");
    expect(stdout).toContain("check-rules: OK");
  });

  it("define the same alert names in both profiles", () => {
    const names = (p: "fast" | "realistic") =>
      alertRules(p)
        .map((r) => r.alert)
        .sort();
    expect(names("fast")).toEqual(names("realistic"));
    expect(names("fast")).toEqual(expect.arrayContaining(EXPECTED));
    // One rule per alert name: the responder keys on it.
    expect(new Set(names("fast")).size).toBe(names("fast").length);
  });

  it.each(["fast", "realistic"] as const)(
    "%s: every alert has a severity and annotations with its value",
    (p) => {
      for (const rule of alertRules(p)) {
        expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning|info)$/);
        expect(rule.annotations?.summary, rule.alert).toBeTruthy();
        expect(`${rule.annotations?.summary} ${rule.annotations?.description}`, rule.alert).toContain(
          "$value",
        );
        // Aggregations keep the labels the responder needs to find the container.
        if (/\bsum\b/.test(rule.expr)) expect(rule.expr, rule.alert).toMatch(/by \(container, instance, job/);
      }
    },
  );

  it("fast profile alerts without waiting; realistic waits a few minutes", () => {
    for (const rule of alertRules("fast")) expect(rule.for ?? "0s", rule.alert).toBe("0s");
    for (const rule of alertRules("realistic")) expect(rule.for, rule.alert).toMatch(/^\d+m$/);
  });
});
