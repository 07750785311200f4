import type { Signal } from "../core/types.ts";

/**
 * The vocabulary of symptoms investigation reports and planners weigh. Platform code turns raw tool
 * output into these; planners never read raw tool output, so both platforms share one planner.
 */
export type SignalName =
  | "oom_killed"
  | "memory_growth"
  | "memory_high"
  | "crash_loop"
  | "config_error"
  | "exited"
  | "health_timeout"
  | "health_failing"
  | "http_errors"
  | "slow_responses"
  | "cpu_saturated"
  | "healthy";

/** Build a signal. */
export function signal(name: SignalName, value: Signal["value"], detail: string): Signal {
  return { name, value, detail };
}

/** True when the named signal is present and not false/0. */
export function has(signals: readonly Signal[], name: SignalName): boolean {
  const s = signals.find((x) => x.name === name);
  return s !== undefined && s.value !== false && s.value !== 0;
}

/** The discrete symptom signature used to recall similar past incidents. */
export function signatureOf(signals: readonly Signal[]): string[] {
  return [...new Set(signals.filter((s) => s.value !== false && s.value !== 0).map((s) => s.name))].sort();
}
