import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import { alertExpression } from "../../../../core/alert.ts";
import type { IncidentAlert, Signal } from "../../../../core/types.ts";
import { readRollout } from "../../../../tools/kubernetes/rolloutHistory.ts";
import { signal } from "../../../signals.ts";
import type { Workload } from "../actions/action.ts";
import { deploymentBehind, serviceRef } from "./serviceBehind.ts";
import type { DeploymentSnapshot } from "../../../../tools/kubernetes/rolloutHistory.ts";
import { alertWindow, queryPrometheusRange } from "../../../../tools/prometheus/rangeQuery.ts";
import {
  errorSignals,
  latencyRose,
  latencySignals,
  latencyText,
  type PodLatency,
} from "../latencyHistory.ts";

/** The histogram read when the alert's rule names none (the Prometheus client libraries' default name). */
export const DEFAULT_HISTOGRAM = "http_request_duration_seconds";
/** History read before the newest revision began, so the previous revision's pods are in the window. */
const BEFORE_REVISION_MS = 2 * 60_000;
const MIN_WINDOW_MS = 2 * 60_000;
const MAX_WINDOW_MS = 30 * 60_000;
const STEPS = 60;
/** The rate window of each reading: four 15 s scrapes, as Grafana's `$__rate_interval` would take. */
const RATE_RANGE = "1m";

/** PromQL matchers of a Deployment's pods (every revision's: their names start with its name). */
const podsOf = (namespace: string, rollout: DeploymentSnapshot) =>
  `namespace=${JSON.stringify(namespace)},pod=~${JSON.stringify(`${rollout.name}-.+`)}`;

/** The window a revision comparison reads: from a little before the newest revision began (or the alert) to now. */
function revisionWindow(deps: ObserverDeps, rollout: DeploymentSnapshot, since?: number) {
  const newest = rollout.revisions[0];
  const began = newest?.createdAt ? Date.parse(newest.createdAt) : Number.NaN;
  const from = Math.min(
    since ?? Number.POSITIVE_INFINITY,
    Number.isFinite(began) ? began : Number.POSITIVE_INFINITY,
  );
  return alertWindow(
    { since: Number.isFinite(from) ? from - BEFORE_REVISION_MS : undefined, now: deps.now?.() },
    { minMs: MIN_WINDOW_MS, maxMs: MAX_WINDOW_MS, steps: STEPS },
  );
}

/** What to read, from the alert rule's own expression when it names a histogram (`…_bucket`) and a quantile. */
export interface LatencyQuery {
  histogram: string;
  quantile: number;
}

/** The histogram and quantile an alert expression reads; the defaults when it reads none. Pure. */
export function latencyQueryOf(expr: string | undefined): LatencyQuery {
  const bucket = /\b([a-zA-Z_:][\w:]*)_bucket\b/.exec(expr ?? "")?.[1];
  const q = /histogram_quantile\(\s*(0?\.\d+|1(?:\.0+)?)/.exec(expr ?? "")?.[1];
  return { histogram: bucket ?? DEFAULT_HISTOGRAM, quantile: q ? Number(q) : 0.95 };
}

/**
 * A Deployment's latency per pod from Prometheus (PROMETHEUS_URL): one range query of the histogram's quantile by
 * pod, from a little before its newest revision began (or the alert, if earlier) to now, so the previous
 * revision's pods are read under the same traffic as the new one's. Signals from latencyHistory.ts; none without
 * Prometheus, a rollout history or a previous revision (the readings are returned all the same). A failed query is
 * an error, never a guess.
 */
export async function observeLatency(
  deps: ObserverDeps,
  namespace: string,
  rollout: DeploymentSnapshot | undefined,
  query: LatencyQuery,
  errors: string[],
  since?: number,
): Promise<{ signals: Signal[]; pods: PodLatency[] }> {
  const newest = rollout?.revisions[0];
  if (!deps.prometheusUrl || !rollout || !newest) return { signals: [], pods: [] };
  const window = revisionWindow(deps, rollout, since);
  const scale = /millisecond/.test(query.histogram) ? 1000 : 1;
  const promql =
    `histogram_quantile(${query.quantile}, sum by (le, pod) (rate(${query.histogram}_bucket{${podsOf(namespace, rollout)}}[${RATE_RANGE}])))` +
    (scale !== 1 ? ` / ${scale}` : "");
  try {
    const range = await queryPrometheusRange({
      prometheusUrl: deps.prometheusUrl,
      query: promql,
      ...window,
      timeoutMs: 5000,
    });
    const read: PodLatency[] = range.series
      .filter((s) => s.labels.pod)
      .map((s) => ({ pod: s.labels.pod!, points: s.points.filter(([, v]) => Number.isFinite(v)) }));
    return { signals: latencySignals(rollout, read, `p${Math.round(query.quantile * 100)}`), pods: read };
  } catch (err) {
    errors.push(`latency history of ${namespace}/${rollout.name}: ${describeError(err)}`);
    return { signals: [], pods: [] };
  }
}

/** An alert about slowness: its rule reads a histogram, or its name or expression speaks of latency. */
const LATENCY_ALERT = /latency|duration|slow|response.?time/i;

/** What to read for the first firing alert about slowness; undefined when none is (an OOM or 5xx alert). Pure. */
export function latencyAlert(alerts: readonly IncidentAlert[]): LatencyQuery | undefined {
  for (const a of alerts) {
    if (a.status !== "firing") continue;
    const expr = alertExpression(a);
    if (/_bucket\b/.test(expr ?? "") || LATENCY_ALERT.test(`${a.labels.alertname ?? ""} ${expr ?? ""}`))
      return latencyQueryOf(expr);
  }
  return undefined;
}

/** Callees read per slow caller: the policy's list, bounded in cost. */
const MAX_CALLEES = 5;

/**
 * The services a slow workload calls (the policy's `calls`: names, `name.namespace` or cluster DNS names), each read
 * from its own latency history: a `dependency_slow` signal naming the first that became slow in the window (with
 * its new revision, or not), so the incident's dependency is observed and acted on only by its own evidence.
 * Undefined when none did, or nothing could be read (the reasons in `errors`).
 */
export async function observeCallees(
  deps: ObserverDeps,
  t: Workload,
  calls: readonly string[],
  query: LatencyQuery,
  errors: string[],
  since?: number,
): Promise<Signal | undefined> {
  if (!deps.prometheusUrl) return undefined;
  for (const callee of calls.slice(0, MAX_CALLEES)) {
    const ref = serviceRef(callee, t.namespace);
    try {
      const name = await deploymentBehind(deps, ref.namespace, ref.name);
      if (!name || (name === t.name && ref.namespace === t.namespace)) continue;
      const rollout = await readRollout(deps.kube, ref.namespace, name);
      // The caller's rule may read a histogram the callee does not export: the callee is read by the default one.
      const read = await observeLatency(
        deps,
        ref.namespace,
        rollout,
        { ...query, histogram: DEFAULT_HISTOGRAM },
        errors,
        since,
      );
      const withRevision = read.signals.find((s) => s.name === "latency_began_with_revision");
      const rose = latencyRose(read.pods);
      if (withRevision || rose)
        return signal(
          "dependency_slow",
          callee,
          withRevision
            ? `${callee}, which this service calls (policy), became slow with its own new release: ${withRevision.detail}`
            : `${callee}, which this service calls (policy), became slow within the window (p${Math.round(query.quantile * 100)} ${latencyText(rose!.before)} → ${latencyText(rose!.now)}, Prometheus history), not with a new revision of it`,
        );
    } catch (err) {
      errors.push(`callee ${callee}: ${describeError(err)}`);
    }
  }
  return undefined;
}

/** An alert about server errors: its rule reads a 5xx code matcher, or its name speaks of errors or 5xx. */
const ERROR_ALERT = /5xx|error.?rate|errors?\b|server.?error/i;

/** The request counter and its status label an error alert's rule reads (the defaults when it names none). Pure. */
export function errorAlert(alerts: readonly IncidentAlert[]): { counter: string; label: string } | undefined {
  for (const a of alerts) {
    if (a.status !== "firing") continue;
    const expr = alertExpression(a) ?? "";
    const coded =
      /\b([a-zA-Z_:][\w:]*_total)\s*\{[^}]*\b(code|status|status_code|response_code)\s*=~?\s*"5/.exec(expr);
    if (coded) return { counter: coded[1]!, label: coded[2]! };
    if (ERROR_ALERT.test(a.labels.alertname ?? "")) return { counter: "http_requests_total", label: "code" };
  }
  return undefined;
}

/**
 * A Deployment's share of 5xx answers per pod from Prometheus: one range query over the same window as latency,
 * judged by revision (latencyHistory.ts errorSignals). Nothing without Prometheus or a previous revision.
 */
export async function observeErrors(
  deps: ObserverDeps,
  namespace: string,
  rollout: DeploymentSnapshot | undefined,
  read: { counter: string; label: string },
  errors: string[],
  since?: number,
): Promise<Signal[]> {
  if (!deps.prometheusUrl || !rollout || rollout.revisions.length < 2) return [];
  const pods = podsOf(namespace, rollout);
  const rate = (extra: string) => `sum by (pod) (rate(${read.counter}{${pods}${extra}}[${RATE_RANGE}]))`;
  // A pod without a single 5xx has no 5xx series: it counts as 0, not as missing.
  const promql = `(${rate(`,${read.label}=~"5.."`)} or ${rate("")} * 0) / ${rate("")}`;
  try {
    const range = await queryPrometheusRange({
      prometheusUrl: deps.prometheusUrl,
      query: promql,
      ...revisionWindow(deps, rollout, since),
      timeoutMs: 5000,
    });
    const series = range.series
      .filter((s) => s.labels.pod)
      .map((s) => ({ pod: s.labels.pod!, points: s.points.filter(([, v]) => Number.isFinite(v)) }));
    return errorSignals(rollout, series);
  } catch (err) {
    errors.push(`5xx history of ${namespace}/${rollout.name}: ${describeError(err)}`);
    return [];
  }
}
