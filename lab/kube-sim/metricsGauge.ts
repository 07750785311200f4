/** Records one gauge sample: metric name, help text, labels, value. */
export type Gauge = (name: string, help: string, labels: Record<string, string>, v: number) => void;

/**
 * kube-state-metrics' condition series of an object: for each of its conditions one sample per status
 * (true, false, unknown), 1 on the status the condition has and 0 on the others.
 */
export function conditionGauges(
  g: Gauge,
  name: string,
  help: string,
  id: Record<string, string>,
  conditions: readonly { type: string; status: string }[] | undefined,
): void {
  for (const c of conditions ?? [])
    for (const status of ["true", "false", "unknown"])
      g(name, help, { ...id, condition: c.type, status }, c.status.toLowerCase() === status ? 1 : 0);
}
