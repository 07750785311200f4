import { queryPrometheus } from "./instantQuery.ts";

/** One number from a PromQL expression: the first series' value, undefined when empty or not finite. */
export function scalarQuery(prometheusUrl: string, timeoutMs = 5000) {
  return async (query: string): Promise<number | undefined> => {
    const v = (await queryPrometheus({ prometheusUrl, query, timeoutMs })).series[0]?.value;
    return v === undefined || !Number.isFinite(v) ? undefined : v;
  };
}
