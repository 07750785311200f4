import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MetricHistory } from "../../evals/harness/metricHistory.ts";
import { evaluateAt } from "../../evals/harness/promqlEval.ts";
import { resolveTarget } from "../../agent/targeting/resolveTarget.ts";
import { targetNameProblem } from "../../agent/targeting/names.ts";
import { seriesOfAlert } from "../../agent/platforms/prometheusCheck.ts";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import { alertLabelsOf, type SeriesLabels } from "../helpers/promqlLabels.ts";

const dir = join(import.meta.dirname, "../fixtures/rules");
const series = (
  parse(readFileSync(join(dir, "series.yaml"), "utf8"), { merge: true }) as { metrics: SeriesLabels }
).metrics;
const rules: Array<{ name: string; expr: string; labels: Record<string, string> }> = [];
for (const sub of ["kube-prometheus", "awesome-prometheus-alerts"])
  for (const f of readdirSync(join(dir, sub)).sort()) {
    const doc = parse(readFileSync(join(dir, sub, f), "utf8")) as {
      groups: Array<{ rules: Array<{ alert?: string; expr: string; labels?: Record<string, string> }> }>;
    };
    for (const g of doc.groups)
      for (const r of g.rules)
        if (r.alert)
          rules.push({
            name: `${sub}/${f} ${r.alert}`,
            expr: r.expr,
            labels: { ...r.labels, alertname: r.alert },
          });
  }

/**
 * Every metric of the fixtures' series, scraped ten times 15 s apart, each counter growing and each gauge at 1 (an
 * `_info`-style value), so the real rules' expressions have something to evaluate over.
 */
const T0 = Date.parse("2026-12-07T12:00:00Z");
const history = new MetricHistory();
for (let i = 0; i < 10; i++) {
  const text = Object.entries(series)
    .map(([name, labels]) => {
      const l = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(String(v))}`);
      return `${name}{${l.join(",")}} ${/_total$|_count$|_sum$|_bucket$/.test(name) ? i * 10 : 1}`;
    })
    .join("\n");
  history.record("fixtures", T0 + i * 15_000, text);
}

describe("the real rule files, as triage and the checks before acting meet them", () => {
  it.each(rules.map((r) => [r.name, r] as const))("%s", (_name, rule) => {
    const labels = { ...alertLabelsOf(rule.expr, series), ...rule.labels };
    // Triage: a resolved target's names pass the platform's name grammar (a real label value is never refused).
    const target = resolveTarget(labels, defaultPolicy());
    if (target.kind !== "unresolved") expect(targetNameProblem(target)).toBeUndefined();
    // The eval's Prometheus evaluates the rule's own expression (no bad_data), as the currentness check and
    // verification send it; each series it returns is matched to the alert the rule would have sent.
    const v = evaluateAt(rule.expr, history, T0 + 9 * 15_000);
    expect(["vector", "scalar"]).toContain(v.kind);
    if (v.kind === "vector" && v.elems.length > 0)
      expect(seriesOfAlert(v.elems, { labels } as never).length).toBeGreaterThan(0);
  });
});

it("the fixtures' series make many rules fire, so the matching above is exercised", () => {
  const firing = rules.filter((r) => {
    const v = evaluateAt(r.expr, history, T0 + 9 * 15_000);
    return v.kind === "vector" && v.elems.length > 0;
  });
  expect(firing.length).toBeGreaterThanOrEqual(20);
});
