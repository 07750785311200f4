/**
 * Label and annotation names that are properties of every JavaScript object. `__proto__` was silently
 * dropped by parsing, and `constructor`/`prototype` shadow what code expects of an object: an alert that
 * carries them is refused, with the name, rather than altered.
 */
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);
const MAPS = ["labels", "annotations"] as const;
const TOP_MAPS = ["commonLabels", "groupLabels", "commonAnnotations"] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** The first forbidden key in a webhook body, as `alerts.0.labels: ...`, or undefined. */
export function forbiddenKeyIssue(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const check = (map: unknown, path: string) => {
    if (!isObject(map)) return undefined;
    const key = Object.keys(map).find((k) => FORBIDDEN.has(k));
    return key === undefined
      ? undefined
      : `${path}: the name ${JSON.stringify(key)} is refused (a property of every JavaScript object); rename it in the alert rule or drop it with alert_relabel_configs`;
  };
  for (const top of TOP_MAPS) {
    const issue = check(body[top], top);
    if (issue) return issue;
  }
  const alerts = Array.isArray(body.alerts) ? body.alerts : [];
  for (const [i, alert] of alerts.entries()) {
    if (!isObject(alert)) continue;
    for (const m of MAPS) {
      const issue = check(alert[m], `alerts.${i}.${m}`);
      if (issue) return issue;
    }
  }
  return undefined;
}
