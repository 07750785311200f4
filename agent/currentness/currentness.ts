import { alertExpression } from "../../core/alert.ts";
import { describeError } from "../../core/errors.ts";
import type { IncidentAlert } from "../../core/types.ts";
import { listUnresolvedAlerts } from "../../tools/alertmanager/alerts.ts";
import { queryPrometheus } from "../../tools/prometheus/instantQuery.ts";
import { seriesOfAlert } from "../platforms/prometheusCheck.ts";

/** Whether the incident's alerts still describe the world, asked right before an action is taken. */
export interface CurrentnessVerdict {
  /** Why no action is needed any more; undefined while the alerts are current (or nothing could tell). */
  stale?: string;
  /** Sources that could not be read (the check then goes on as if the alerts were current). */
  errors: string[];
}
export type Currentness = (alerts: readonly IncidentAlert[]) => Promise<CurrentnessVerdict>;

/**
 * Before acting, ask the sources of truth whether the alerts still hold: Alertmanager (with ALERTMANAGER_URL) no
 * longer lists an alert it sent (it leaves out resolved alerts), or Prometheus (with PROMETHEUS_URL) evaluates the
 * alert's own expression (its generatorURL's `g0.expr`) to no series for the alert's labels, with the instance
 * scraped. Stale only when every firing alert is shown resolved by one of them; an alert neither can judge keeps
 * the incident current. Undefined with neither configured.
 */
export function createCurrentness(opts: {
  alertmanagerUrl?: string | undefined;
  prometheusUrl?: string | undefined;
}): Currentness | undefined {
  const { alertmanagerUrl, prometheusUrl } = opts;
  if (!alertmanagerUrl && !prometheusUrl) return undefined;
  return async (alerts) => {
    const errors: string[] = [];
    const firing = alerts.filter((a) => a.status === "firing");
    if (firing.length === 0) return { errors };
    const reasons: string[] = [];
    for (const alert of firing) {
      const name = alert.labels.alertname ?? "alert";
      let why: string | undefined;
      // Only an alert Alertmanager sent (it carries Alertmanager's fingerprint) can be missed there.
      if (alertmanagerUrl && alert.fingerprint) {
        try {
          const held = await listUnresolvedAlerts({
            alertmanagerUrl,
            filter: alert.labels.alertname ? { alertname: alert.labels.alertname } : {},
          });
          const same = held.some(
            (a) =>
              a.fingerprint === alert.fingerprint ||
              (Object.keys(a.labels).length === Object.keys(alert.labels).length &&
                Object.entries(alert.labels).every(([k, v]) => a.labels[k] === v)),
          );
          if (!same) why = `${name} is resolved in Alertmanager (no longer among its unresolved alerts)`;
        } catch (err) {
          errors.push(`Alertmanager: ${describeError(err)}`);
        }
      }
      const expr = alertExpression(alert);
      if (!why && prometheusUrl && expr) {
        try {
          why = await backToNormal(prometheusUrl, alert, expr);
        } catch (err) {
          errors.push(`Prometheus: ${describeError(err)}`);
        }
      }
      if (!why) return { errors };
      reasons.push(why);
    }
    return { stale: reasons.join("; "), errors };
  };
}

/** The alert's expression returns no series for its labels now, and its instance (if named) is scraped: normal. */
async function backToNormal(
  prometheusUrl: string,
  alert: IncidentAlert,
  expr: string,
): Promise<string | undefined> {
  const instance = alert.labels.instance;
  if (instance) {
    // An empty result from a target that is not scraped says nothing: the metric is missing, not normal.
    const up = await queryPrometheus({
      prometheusUrl,
      query: `up{instance=${JSON.stringify(instance)}} == 1`,
    });
    if (up.series.length === 0) return undefined;
  }
  const result = await queryPrometheus({ prometheusUrl, query: expr });
  if (seriesOfAlert(result.series, alert).length > 0) return undefined;
  return `${alert.labels.alertname ?? "the alert"}'s expression ${expr} returns no series for its labels now: the metric is back to normal`;
}
