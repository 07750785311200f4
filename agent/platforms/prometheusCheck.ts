import { alertExpression, type Alert } from "../../core/alert.ts";
import { describeError } from "../../core/errors.ts";
import type { IncidentAlert, Verification } from "../../core/types.ts";
import { queryPrometheus } from "../../tools/prometheus/instantQuery.ts";
import { recentWindow } from "./recentWindow.ts";

type Check = Verification["evidence"][number];

/** Labels Prometheus' rules add to an alert that its expression's series do not carry. */
const RULE_ONLY_LABELS = new Set(["alertname", "severity"]);

/** The series of an alert expression's result that stand for this alert (its labels agree where both have one). */
export function seriesOfAlert<S extends { labels: Record<string, string> }>(
  series: readonly S[],
  alert: Alert,
): S[] {
  return series.filter((s) =>
    Object.entries(s.labels).every(
      ([k, v]) => RULE_ONLY_LABELS.has(k) || alert.labels[k] === undefined || alert.labels[k] === v,
    ),
  );
}

/** Quote a label value for a PromQL matcher. */
const quote = (v: string) => JSON.stringify(v);

/**
 * Re-evaluate each firing alert's own expression against PROMETHEUS_URL (never the host in
 * generatorURL), over its recent data only (its rate windows shortened, see recentWindow.ts). Healthy needs the
 * target scraped up after the action, and the expression no longer returning a series for it: an empty result
 * from a target that is down is not healthy.
 */
export async function prometheusChecks(
  prometheusUrl: string,
  alerts: IncidentAlert[],
  since: string,
): Promise<Check[]> {
  const checks: Check[] = [];
  const sinceMs = Date.parse(since);
  const seen = new Set<string>();
  const upChecked = new Set<string>();
  for (const alert of alerts) {
    if (alert.status !== "firing") continue;
    const expr = alertExpression(alert);
    const key = `${expr}|${alert.labels.instance ?? ""}`;
    if (!expr || seen.has(key)) continue;
    seen.add(key);
    const name = alert.labels.alertname ?? "alert";
    try {
      const instance = alert.labels.instance;
      if (instance && !upChecked.has(instance)) {
        upChecked.add(instance);
        const up = await queryPrometheus({
          prometheusUrl,
          query: `timestamp(up{instance=${quote(instance)}} == 1)`,
        });
        const scrapedAt = Math.max(...up.series.map((s) => s.value * 1000), 0);
        const ok = scrapedAt >= sinceMs;
        checks.push({
          check: `prometheus up ${instance}`,
          ok,
          detail: ok
            ? `up, scraped at ${new Date(scrapedAt).toISOString()}`
            : "no successful scrape since the action",
        });
        if (!ok) continue;
      }
      const query = recentWindow(expr);
      const result = await queryPrometheus({ prometheusUrl, query });
      const matching = seriesOfAlert(result.series, alert);
      checks.push({
        check: `prometheus ${name}`,
        ok: matching.length === 0,
        detail:
          matching.length === 0 ? `${query} is false now` : `${query} still true (${matching[0]!.value})`,
      });
    } catch (err) {
      checks.push({ check: `prometheus ${name}`, ok: false, detail: describeError(err) });
    }
  }
  return checks;
}
