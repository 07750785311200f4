import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startTestAegis, type TestAegis } from "../helpers/aegis.ts";
import { SHARED_STORE_METRICS } from "../../server/replicaMetrics.ts";

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; refId: string }>;
}

const dashboard = JSON.parse(
  readFileSync(new URL("../../deploy/grafana/aegisops.json", import.meta.url), "utf8"),
) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string }> };
};
const selfRules = parse(
  readFileSync(new URL("../../deploy/prometheus/self/rules/aegisops-self.yml", import.meta.url), "utf8"),
) as { groups: Array<{ rules: Array<{ record?: string; alert?: string; expr: string }> }> };

const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or durations. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, "") // matchers
    .replace(/\[[^\]]*\]/g, "") // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ""); // label lists
  const names = [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((m) => !m[2])
    .map((m) => m[1]!);
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase())))];
}

let t: TestAegis;
/** Every series name the real server exposes (histograms as _bucket, _sum, _count). */
let exported: Set<string>;

beforeAll(async () => {
  t = await startTestAegis();
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  // The test server runs on SQLite; what only a shared store exports is declared beside its registration.
  exported = new Set(["up", ...SHARED_STORE_METRICS]);
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) exported.add(name + s);
    else exported.add(name);
  }
});
afterAll(() => t?.stop());

describe("deploy/grafana/aegisops.json", () => {
  const panels = dashboard.panels.filter((p) => p.type !== "row");
  const recorded = new Set(selfRules.groups.flatMap((g) => g.rules.map((r) => r.record).filter(Boolean)));

  it("is a dashboard with a data source variable, unique panel ids and no overlapping panels", () => {
    expect(dashboard.uid).toBe("aegisops-self");
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(["datasource", "job", "instance"]);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it("queries only metrics the server exports (or the self rules record), and every metric family appears", () => {
    const used = new Set<string>();
    for (const p of panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const target of p.targets!) {
        const names = metricNames(target.expr);
        expect(names.length, target.expr).toBeGreaterThan(0);
        for (const n of names) {
          expect(exported.has(n) || recorded.has(n), `${p.title}: ${n} is not exported`).toBe(true);
          used.add(n);
        }
      }
    }
    const own = [...exported].filter((n) => n.startsWith("aegis_") && !/_(sum|count)$/.test(n));
    expect(own.filter((n) => !used.has(n))).toEqual([]);
  });

  it("the self rules read only exported metrics", () => {
    for (const rule of selfRules.groups.flatMap((g) => g.rules)) {
      for (const n of metricNames(rule.expr)) {
        expect(exported.has(n) || recorded.has(n), `${rule.alert ?? rule.record}: ${n}`).toBe(true);
      }
    }
  });

  it("finds metric names in PromQL", () => {
    expect(
      metricNames('histogram_quantile(0.9, sum by (le) (rate(a_bucket{job="x", le=~"1"}[5m]))) / on () b'),
    ).toEqual(["a_bucket", "b"]);
  });
});
