import { performance } from "node:perf_hooks";
import { z } from "zod";
import { tool } from "../tool.ts";
import { systemClock, type Clock } from "../../core/clock.ts";

/** Output of `http_health_probe`: a failed probe is a result, never an exception. */
export interface HealthProbeResult {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  /** null when 2xx; otherwise `timeout`, `connection_refused`, `http_error` or the network error's code. */
  error: string | null;
}

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } } | null)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  // Node reports a refused dual-stack connect ("localhost") as an AggregateError of per-address errors.
  const inner = cause?.errors?.find((e) => typeof e.code === "string")?.code;
  return typeof inner === "string" ? inner : undefined;
}

function classify(err: unknown, timedOut: boolean): string {
  const name = (err as { name?: string } | null)?.name;
  if (timedOut || name === "TimeoutError") return "timeout";
  const code = causeCode(err);
  if (code === "ECONNREFUSED") return "connection_refused";
  // undici's "other side closed": the server accepted and closed the connection without an answer.
  if (code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "EPIPE") return "connection_closed";
  if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT") return "timeout";
  if (code) return code.toLowerCase();
  if (name === "AbortError") return "aborted";
  return err instanceof Error ? err.message : String(err);
}

/** GET `url` once and report whether it answered 2xx, how fast, and why not. */
export async function probeHealth(
  url: string,
  timeoutMs = 2000,
  signal?: AbortSignal,
): Promise<HealthProbeResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: "manual",
      headers: { "user-agent": "aegisops-health-probe" },
    });
    const latencyMs = elapsed();
    // Release the connection without waiting for a body nobody reads.
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, status: res.status, latencyMs, error: ok ? null : "http_error" };
  } catch (err) {
    return { ok: false, status: null, latencyMs: elapsed(), error: classify(err, timeout.aborted) };
  }
}

const TLS_CODE = /^(err_tls|err_ssl|cert_|unable_to_|depth_zero|self_signed|err_ossl|hostname_mismatch)/i;

/** A probe's failure in plain words for people (never a client library's error code alone). */
export function probeFailureInWords(r: HealthProbeResult): string {
  if (r.ok) return `answered ${r.status} in ${r.latencyMs} ms`;
  if (r.error === "http_error")
    return `answered HTTP ${r.status}${(r.status ?? 0) >= 500 ? " (a server error)" : ""}`;
  if (r.error === "timeout") return `did not answer within ${r.latencyMs} ms`;
  if (r.error === "connection_refused") return "refused the connection (nothing listens on that port)";
  if (r.error === "connection_closed") return "closed the connection without an answer";
  if (r.error && TLS_CODE.test(r.error)) return `failed the TLS handshake (${r.error})`;
  if (r.error === "enotfound" || r.error === "eai_again") return "has a host name that does not resolve";
  if (r.error === "ehostunreach" || r.error === "enetunreach") return "is on a host that cannot be reached";
  return `failed (${r.error ?? "unknown error"})`;
}

/**
 * Probe more than once before calling a health URL failing: two probes `gapMs` apart, and a third when they
 * disagree (unless `confirm` already shows the failure sustained). The result is the majority's (the failing one when two fail), with every probe kept.
 */
export async function probeHealthRepeatedly(
  url: string,
  timeoutMs = 2000,
  gapMs = 250,
  /**
   * Another witness that a failure is not a blip (e.g. the errors a metrics history holds): when it says so, the
   * first failing probe stands and no second probe is waited for. Its answer, in words, goes with the result.
   */
  confirm?: () => Promise<string | undefined>,
  /** The clock the gap between probes runs on (the agent's; the machine's by default). */
  clock: Clock = systemClock,
): Promise<{ result: HealthProbeResult; probes: HealthProbeResult[]; confirmedBy?: string }> {
  const probes = [await probeHealth(url, timeoutMs)];
  if (probes[0]!.ok) return { result: probes[0]!, probes };
  const confirmedBy = confirm ? await confirm().catch(() => undefined) : undefined;
  if (confirmedBy) return { result: probes[0]!, probes, confirmedBy };
  await clock.sleep(gapMs);
  probes.push(await probeHealth(url, timeoutMs));
  if (probes[1]!.ok) {
    await clock.sleep(gapMs);
    probes.push(await probeHealth(url, timeoutMs));
  }
  const failing = probes.filter((p) => !p.ok);
  const result = failing.length * 2 > probes.length ? failing.at(-1)! : probes.find((p) => p.ok)!;
  return { result, probes };
}

const parameters = z.object({
  url: z
    .url({ protocol: /^https?$/, error: "must be an http or https URL" })
    .describe("Health endpoint to GET, e.g. http://127.0.0.1:8081/health."),
  timeoutMs: z.number().int().min(50).max(30_000).default(2000).describe("Give up after this many ms."),
});

/** `http_health_probe`: one GET of a health URL, reporting status, latency and the failure kind. */
export function createHealthProbeTool() {
  return tool({
    name: "http_health_probe",
    description:
      "GET a service's health URL once. Returns ok (2xx), the status, latency in ms and, on failure, " +
      "why: timeout (a hung service), connection_refused (nothing listening), http_error (non-2xx).",
    parameters,
    execute: async ({ url, timeoutMs }, { signal }): Promise<HealthProbeResult> =>
      probeHealth(url, timeoutMs, signal),
  });
}
