import type { Container, Pod, Probe } from "../types.ts";
import type { ContainerRuntime } from "../world.ts";
import type { SimContext } from "./context.ts";
import { binariesOf, isHung, listenPort, resolvePort } from "./process.ts";
import { httpFaultMatches, httpFaultsOf, netDelayOf, packetLossOf } from "../podEffects.ts";

export type ProbeKind = "Readiness" | "Liveness" | "Startup";

/** Per-container, per-probe memory of the prober (as the kubelet's prober workers keep it). */
export interface ProbeState {
  lastAt: number;
  failures: number;
  successes: number;
  /** The last result the kubelet acted on. */
  ok: boolean;
}

type Result = { ok: true } | { ok: false; message: string };

/** Runs one probe against the process as it is now: refused, timed out, an HTTP status, or success. */
export function probeOnce(
  ctx: SimContext,
  p: Pod,
  c: Container,
  cr: ContainerRuntime,
  probe: Probe,
  ip: string,
  now: number,
): Result {
  const b = ctx.world.behaviourOf(c, p);
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
  const path = probe.httpGet?.path ?? "/";
  const target = port !== undefined ? resolvePort(c, port) : undefined;
  const url = `http://${ip}:${target ?? port}${path}`;
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    const bins = binariesOf(c.image, b);
    const exe = probe.exec.command[0] ?? "";
    if (bins && !bins.has(exe))
      return {
        ok: false,
        message: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${exe}": executable file not found in $PATH: unknown`,
      };
    if (isHung(ctx, p, now))
      return { ok: false, message: `command "${probe.exec.command.join(" ")}" timed out` };
    // A probe script that exits non-zero fails; the kubelet reports its (here empty) output.
    const script = probe.exec.command.at(-1) ?? "";
    if (/^\s*(exit\s+[1-9]\d*|false)\s*$/.test(script) || /^(\/bin\/)?false$/.test(exe))
      return { ok: false, message: "" };
    return { ok: true };
  }
  // A process that fails at start exits before it opens its port: its probes are refused, never passed.
  const listening =
    now - cr.startedAt >= (b.startupMs ?? 0) && (!cr.exitPlan || cr.exitPlan.listens === true);
  const refused = probe.httpGet
    ? `Get "${url}": dial tcp ${ip}:${target ?? port}: connect: connection refused`
    : `dial tcp ${ip}:${target ?? port}: connect: connection refused`;
  if (target === undefined || target !== listenPort(ctx, c) || !listening)
    return { ok: false, message: refused };
  // What acts on the pod's traffic from outside (chaos): dropped packets time out, a proxy aborts or holds.
  const fx = ctx.world.effectsOn(p);
  const proxied = probe.httpGet
    ? httpFaultsOf(fx).filter((f) => httpFaultMatches(f, { port: target, method: "GET", path }))
    : [];
  if (proxied.some((f) => f.abort)) return { ok: false, message: `Get "${url}": EOF` };
  const held = proxied.reduce((a, f) => a + (f.delayMs ?? 0), 0) + netDelayOf(fx);
  // A probe of a slow route (its own latency on top of the image's) waits as long as that route's requests.
  const routeMs = probe.httpGet ? ((b.routes ?? []).find((r) => path.startsWith(r.path))?.latencyMs ?? 0) : 0;
  if (isHung(ctx, p, now) || (b.latencyMs ?? 0) + routeMs + held >= timeoutMs || packetLossOf(fx) >= 0.5) {
    return {
      ok: false,
      message: probe.httpGet
        ? `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
        : `dial tcp ${ip}:${target}: i/o timeout`,
    };
  }
  if (probe.httpGet) {
    const route = (b.routes ?? []).find((r) => path.startsWith(r.path) && r.errorRatio >= 0.5);
    if (route) return { ok: false, message: `HTTP probe failed with statuscode: ${route.code}` };
    if ((b.errorRatio ?? 0) >= 0.99) return { ok: false, message: "HTTP probe failed with statuscode: 500" };
  }
  return { ok: true };
}

/**
 * Advances one probe of a running container by its period. Returns "kill" when a liveness or startup probe
 * crossed its failure threshold (the kubelet restarts the container), else whether the probe currently passes.
 */
export function stepProbe(
  ctx: SimContext,
  p: Pod,
  c: Container,
  cr: ContainerRuntime,
  kind: ProbeKind,
  probe: Probe,
  ip: string,
  now: number,
): "kill" | boolean {
  const key = kind;
  let st = cr.probes?.[key];
  const period = (probe.periodSeconds ?? 10) * 1000;
  const initial = (probe.initialDelaySeconds ?? 0) * 1000;
  if (!st) {
    st = { lastAt: 0, failures: 0, successes: 0, ok: kind === "Liveness" };
    cr.probes = { ...cr.probes, [key]: st };
  }
  if (now - cr.startedAt < initial) return st.ok;
  if (st.lastAt && now - st.lastAt < period) return st.ok;
  st.lastAt = now;
  const r = probeOnce(ctx, p, c, cr, probe, ip, now);
  if (r.ok) {
    st.failures = 0;
    st.successes += 1;
    if (st.successes >= (kind === "Readiness" ? (probe.successThreshold ?? 1) : 1)) st.ok = true;
    return st.ok;
  }
  st.successes = 0;
  st.failures += 1;
  ctx.events.record(
    p,
    "Warning",
    "Unhealthy",
    `${kind} probe failed: ${r.message}`,
    "kubelet",
    p.spec.nodeName,
  );
  if (st.failures >= (probe.failureThreshold ?? 3)) {
    st.ok = false;
    if (kind !== "Readiness") {
      ctx.events.record(
        p,
        "Normal",
        "Killing",
        `Container ${c.name} failed ${kind.toLowerCase()} probe, will be restarted`,
        "kubelet",
        p.spec.nodeName,
      );
      return "kill";
    }
  }
  return st.ok;
}
