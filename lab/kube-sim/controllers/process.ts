import { posix } from "node:path";
import type { RevisionBehaviour } from "../registry.ts";
import { splitImage } from "../registry.ts";
import { selectorMatches } from "../http/selectors.ts";
import { httpFaultsOf, packetLossOf } from "../podEffects.ts";
import type { Container, KubeObject, LabelSelector, Pod } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, isPodReady } from "./context.ts";
import { refusedKubeApiCalls } from "./workloadRbac.ts";

/** What a container does once the runtime starts it. */
export type StartOutcome =
  /** The runtime cannot start the process (the kubelet's StartError, exit 128). */
  | { kind: "start_error"; message: string }
  /**
   * The process runs, then exits with `code` after `afterMs` (never, when undefined), printing `logs`. `listens`:
   * it serves on its port until then (a server that dies later); a process that fails at start never listens.
   */
  | { kind: "runs"; exit?: { code: number; afterMs: number; logs: string[]; listens?: boolean } };

const SHELLS = new Set(["sh", "bash", "ash", "dash"]);
const SHELL_BUILTINS = new Set([
  "echo",
  "exit",
  "true",
  "false",
  "set",
  "export",
  "cd",
  "test",
  "[",
  "while",
  "until",
  "for",
  "if",
  "exec",
  ":",
]);
/** What the busybox image holds (its applets), so `sh -c` scripts can be checked against it. */
const BUSYBOX = [
  "sh",
  "ash",
  "cat",
  "wget",
  "nc",
  "sleep",
  "ls",
  "cp",
  "mv",
  "grep",
  "sed",
  "awk",
  "nslookup",
  "ping",
  "echo",
  "env",
  "touch",
  "mkdir",
  "rm",
  "date",
  "tail",
  "head",
  "true",
  "false",
  "chmod",
  "chown",
  "dd",
  "df",
  "du",
  "find",
  "hostname",
  "id",
  "kill",
  "ps",
  "test",
  "timeout",
  "tr",
  "uname",
  "vi",
  "wc",
  "xargs",
  "yes",
];

/** The executables an image holds, when known (the registry's `binaries`, or busybox's applets). */
export function binariesOf(image: string | undefined, b: RevisionBehaviour): Set<string> | undefined {
  if (b.binaries) return new Set(b.binaries.flatMap((x) => [x, posix.basename(x)]));
  const repo = image ? splitImage(image).repo : "";
  if (/(^|\/)busybox$/.test(repo)) return new Set(BUSYBOX);
  return undefined;
}

/** Seconds a command sleeps before exiting (`sleep 30`); Infinity for `sleep infinity` or an endless loop. */
function runSeconds(words: string[]): number | undefined {
  const text = words.join(" ");
  if (/\bwhile (true|:)\b|\bsleep inf(inity)?\b|tail -f \/dev\/null/.test(text)) return Infinity;
  const m = /\bsleep (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The exit status of a finished command: a script's last `exit N`, 1 for `false`, else 0. */
function scriptExitCode(argv: string[]): number {
  const text = argv.join(" ").trim();
  const m = /\bexit\s+(\d+)\s*;?\s*$/.exec(text);
  if (m) return Number(m[1]);
  return /(^|[\s;&|])false\s*$/.test(text) ? 1 : 0;
}

/**
 * Decides how a started container behaves: its command/args against the image's executables, its CPU
 * architecture, the env and files it needs, and the image's own exit behaviour. `isInit`: an init container
 * exits 0 once its command finished (1 s unless it sleeps).
 */
export function startOutcome(
  ctx: SimContext,
  p: Pod,
  c: Container,
  b: RevisionBehaviour,
  env: Record<string, string>,
  files: Set<string>,
  nodeArch: string,
  isInit: boolean,
): StartOutcome {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const bins = binariesOf(c.image, b);
  const exe = c.command?.[0];
  if (exe && bins && !bins.has(exe) && !bins.has(posix.basename(exe))) {
    return {
      kind: "start_error",
      message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${exe}": executable file not found in $PATH: unknown`,
    };
  }
  const crashMs = b.exit?.afterMs ?? ctx.timings.crashAfterMs;
  const exits = (code: number, logs: string[], afterMs = ctx.timings.crashAfterMs) => ({
    kind: "runs" as const,
    exit: { code, afterMs, logs },
  });
  if (b.arch && b.arch !== nodeArch) {
    return exits(1, [`exec ${b.binaries?.[0] ?? "/app/server"}: exec format error`], 0);
  }
  // `sh -c "script"`: the shell runs the script's first command; an unknown one is "not found" (exit 127).
  const shellAt = argv.findIndex((w) => SHELLS.has(posix.basename(w)));
  if (shellAt >= 0 && argv[shellAt + 1] === "-c") {
    const script = argv[shellAt + 2] ?? "";
    const first = script.trim().split(/[\s;|&]+/)[0] ?? "";
    if (first && bins && !bins.has(first) && !SHELL_BUILTINS.has(first))
      return exits(127, [`sh: ${first}: not found`], 0);
  }
  for (const name of b.requiresEnv ?? []) {
    if (!env[name]) return exits(1, [`FATAL config: required environment variable ${name} is not set`]);
  }
  for (const f of b.requiresFiles ?? []) {
    if (!files.has(f)) return exits(1, [`FATAL open ${f}: no such file or directory`]);
  }
  for (const dep of b.dependsOn ?? []) {
    if (dep.onFailure !== "exit") continue;
    const st = dependencyStatus(ctx, p, dep, env);
    if (!st.ok) return exits(1, [`FATAL cannot connect to ${st.host}: ${st.message}`]);
  }
  const refused = refusedKubeApiCalls(ctx, p, b, "exit")[0];
  if (refused) return exits(1, refused.logs);
  if (b.exit) {
    const server = !isInit && (p.spec.restartPolicy ?? "Always") === "Always";
    const out = exits(b.exit.code, b.exit.logs, crashMs);
    return b.exit.afterMs !== undefined && server ? { ...out, exit: { ...out.exit, listens: true } } : out;
  }
  if (b.crash) return exits(b.crash.exitCode, b.crash.logs);
  // An init container, or a run-to-completion pod's container (a Job's: restartPolicy Never or OnFailure)
  // with a command, finishes once its command did: 1 s unless it sleeps, with the script's `exit N`.
  const completes = isInit || ((p.spec.restartPolicy ?? "Always") !== "Always" && argv.length > 0);
  if (completes) {
    const s = runSeconds(argv);
    return s === Infinity ? { kind: "runs" } : exits(scriptExitCode(argv), [], (s ?? 1) * 1000);
  }
  return { kind: "runs" };
}

/** Whether a dependency (a Service, or the address an env var holds) answers from this pod. */
export function dependencyStatus(
  ctx: SimContext,
  p: Pod,
  dep: { service?: string | undefined; env?: string | undefined },
  env: Record<string, string>,
): { ok: true; host: string; backends?: Pod[] } | { ok: false; host: string; message: string } {
  const ns = p.metadata.namespace ?? "default";
  let address = dep.service ?? "";
  if (dep.env !== undefined) {
    address = env[dep.env] ?? "";
    if (!address) return { ok: false, host: `$${dep.env}`, message: `${dep.env} is empty` };
  }
  const m = /^(?:[a-z]+:\/\/)?([^/:]+)(?::(\d+))?/.exec(address);
  const host = m?.[1] ?? address;
  const port = m?.[2] ? Number(m[2]) : undefined;
  const labels = host.split(".");
  const svcName = labels[0]!;
  const svcNs = labels.length > 1 && labels[1] !== "svc" ? labels[1]! : ns;
  const where = port !== undefined ? `${host}:${port}` : host;
  // The pod asks the resolver its dnsPolicy gives it: only the cluster's DNS knows Service names.
  const resolver = resolverOf(p);
  const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(host);
  // The query itself leaves the pod: an egress policy that does not allow DNS makes every lookup time out.
  if (!isIp && !egressAllows(ctx, p, dnsDestination(resolver)))
    return {
      ok: false,
      host: where,
      message: `dial tcp: lookup ${host} on ${resolver}:53: read udp ${p.status?.podIP ?? "10.244.0.2"}:${ephemeralPort(p)}->${resolver}:53: i/o timeout`,
    };
  if (resolver !== CLUSTER_DNS && !isIp)
    return { ok: false, host: where, message: `dial tcp: lookup ${host} on ${resolver}:53: no such host` };
  const svc = ctx.store.peek(R.services, svcNs, svcName);
  if (!svc)
    return { ok: false, host: where, message: `dial tcp: lookup ${host} on ${CLUSTER_DNS}:53: no such host` };
  const spec = svc.spec as {
    selector?: Record<string, string>;
    clusterIP?: string;
    ports?: { port: number; targetPort?: number | string; name?: string }[];
  };
  const ip = spec.clusterIP ?? "10.96.0.1";
  const sp = port !== undefined ? spec.ports?.find((x) => x.port === port) : spec.ports?.[0];
  if (!sp) return { ok: false, host: where, message: `dial tcp ${ip}:${port}: i/o timeout` };
  const refused = {
    ok: false as const,
    host: where,
    message: `dial tcp ${ip}:${sp.port}: connect: connection refused`,
  };
  const sel = spec.selector ?? {};
  if (Object.keys(sel).length === 0) return { ok: true, host: where };
  const backends = (ctx.store.view(R.pods, svcNs) as readonly Pod[]).filter(
    (x) => isPodReady(x) && Object.entries(sel).every(([k, v]) => x.metadata.labels?.[k] === v),
  );
  // The Service forwards to its targetPort: only backends whose process listens there answer.
  const answering = backends.filter((x) => listensOn(ctx, x, sp.targetPort ?? sp.port));
  if (!answering.length) return refused;
  // NetworkPolicies that select the backends drop what they do not allow: the caller sees a timeout.
  const allowed = answering.filter((x) => {
    const port = resolvePort(x.spec.containers[0]!, sp.targetPort ?? sp.port);
    return (
      networkAllows(ctx, p, x, port) &&
      egressAllows(ctx, p, {
        namespace: x.metadata.namespace ?? "default",
        labels: x.metadata.labels ?? {},
        ip: x.status?.podIP,
        port,
        protocol: "TCP",
      })
    );
  });
  if (!allowed.length) return { ok: false, host: where, message: `dial tcp ${ip}:${sp.port}: i/o timeout` };
  // What acts on the backends' traffic (chaos experiments): packets dropped, requests aborted by a proxy.
  const reached = allowed.filter((x) => packetLossOf(ctx.world.effectsOn(x)) < 0.5);
  if (!reached.length) return { ok: false, host: where, message: `dial tcp ${ip}:${sp.port}: i/o timeout` };
  const answered = reached.filter((x) => {
    const port = resolvePort(x.spec.containers[0]!, sp.targetPort ?? sp.port);
    return !httpFaultsOf(ctx.world.effectsOn(x)).some(
      (f) => f.abort && (f.port === undefined || f.port === port),
    );
  });
  if (!answered.length)
    return {
      ok: false,
      host: where,
      message: `read tcp ${p.status?.podIP ?? "10.244.0.2"}:${ephemeralPort(p)}->${reached[0]!.status?.podIP ?? ip}:${resolvePort(reached[0]!.spec.containers[0]!, sp.targetPort ?? sp.port) ?? sp.port}: read: connection reset by peer`,
    };
  return { ok: true, host: where, backends: answered };
}

/** The cluster DNS Service's address (kube-dns), what `ClusterFirst` pods resolve with. */
const CLUSTER_DNS = "10.96.0.10";
/** The node's own upstream resolver, inherited by pods with `dnsPolicy: Default`. */
const NODE_RESOLVER = "10.0.0.2";

/**
 * The nameserver a pod resolves with, as the kubelet writes its resolv.conf: `ClusterFirst` (the default) the
 * cluster DNS, except on the host network (there only `ClusterFirstWithHostNet` does); `Default` the node's
 * resolver; `None` the first of `dnsConfig.nameservers`.
 */
function resolverOf(p: Pod): string {
  const spec = p.spec as Pod["spec"] & {
    dnsPolicy?: string;
    hostNetwork?: boolean;
    dnsConfig?: { nameservers?: string[] };
  };
  const policy = spec.dnsPolicy ?? "ClusterFirst";
  if (policy === "Default") return NODE_RESOLVER;
  if (policy === "None") return spec.dnsConfig?.nameservers?.[0] ?? "127.0.0.1";
  if (policy === "ClusterFirst" && spec.hostNetwork) return NODE_RESOLVER;
  return CLUSTER_DNS;
}

/** The port a container's process listens on: the image's own, else its first declared containerPort, else 8080. */
export function listenPort(ctx: SimContext, c: Container): number {
  const b = ctx.world.behaviourOf(c);
  return b.port ?? c.ports?.[0]?.containerPort ?? 8080;
}

/** Resolves a port (number or a containerPort name) of a container. */
export function resolvePort(c: Container, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((x) => x.name === port)?.containerPort;
}

function listensOn(ctx: SimContext, p: Pod, port: number | string): boolean {
  return p.spec.containers.some((c) => resolvePort(c, port) === listenPort(ctx, c));
}

/** True when the pod's process has stopped answering (a hang fault, or its image hangs after a while). */
export function isHung(ctx: SimContext, p: Pod, now = ctx.clock.now()): boolean {
  if (ctx.world.hung.has(p.metadata.uid!)) return true;
  const rt = ctx.world.runtimes.get(p.metadata.uid!);
  if (!rt) return false;
  return p.spec.containers.some((c) => {
    const cr = rt.containers.get(c.name);
    const after = ctx.world.behaviourOf(c, p).hangAfterMs;
    return cr?.state === "running" && after !== undefined && now - cr.startedAt >= after;
  });
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}

interface NetworkPolicySpec {
  podSelector?: LabelSelector;
  policyTypes?: string[];
  ingress?: { from?: PolicyPeer[]; ports?: { port?: number | string }[] }[];
  egress?: {
    to?: (PolicyPeer & { ipBlock?: { cidr: string; except?: string[] } })[];
    ports?: { port?: number | string; protocol?: string }[];
  }[];
}

/** Where a connection goes, for the source pod's egress policies. */
interface Destination {
  namespace: string;
  labels: Record<string, string>;
  ip: string | undefined;
  port: number | undefined;
  protocol: "TCP" | "UDP";
}

/** A DNS query to the pod's resolver: the cluster DNS is CoreDNS's pods (k8s-app=kube-dns in kube-system). */
function dnsDestination(resolver: string): Destination {
  return resolver === CLUSTER_DNS
    ? { namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, ip: resolver, port: 53, protocol: "UDP" }
    : { namespace: "", labels: {}, ip: resolver, port: 53, protocol: "UDP" };
}

/** A stable source port for a pod's DNS queries (what the resolver's timeout message shows). */
function ephemeralPort(p: Pod): number {
  let h = 0;
  for (const ch of p.metadata.uid ?? p.metadata.name) h = (h * 31 + ch.charCodeAt(0)) % 28000;
  return 32768 + h;
}

function ipv4(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? m.slice(1).reduce((a, x) => a * 256 + Number(x), 0) : undefined;
}

function inCidr(ip: string | undefined, cidr: string): boolean {
  const [net, bits] = cidr.split("/");
  const a = ip ? ipv4(ip) : undefined;
  const b = ipv4(net ?? "");
  if (a === undefined || b === undefined) return false;
  const block = 2 ** (32 - Number(bits ?? 32));
  return Math.floor(a / block) === Math.floor(b / block);
}

/**
 * Whether the egress NetworkPolicies of `from`'s namespace let it open this connection: none selects it, or
 * a rule of one of them allows the destination (pod and namespace selectors, ipBlock) and its port and
 * protocol. A policy with `policyTypes: [Egress]` and no rules denies everything, DNS included.
 */
export function egressAllows(ctx: SimContext, from: Pod, to: Destination): boolean {
  const ns = from.metadata.namespace ?? "default";
  const policies = (ctx.store.view(R.networkpolicies, ns) as readonly KubeObject[])
    .map((o) => (o.spec ?? {}) as NetworkPolicySpec)
    .filter(
      (s) =>
        selectorMatches(s.podSelector ?? {}, from.metadata.labels) &&
        (s.policyTypes ? s.policyTypes.includes("Egress") : s.egress !== undefined),
    );
  if (!policies.length) return true;
  const peerOk = (peer: NonNullable<NonNullable<NetworkPolicySpec["egress"]>[number]["to"]>[number]) => {
    if (peer.ipBlock)
      return inCidr(to.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(to.ip, c));
    if (!to.namespace) return false;
    return peerAdmits(ctx, peer, ns, to.namespace, to.labels);
  };
  return policies.some((s) =>
    (s.egress ?? []).some(
      (rule) =>
        (!rule.to?.length || rule.to.some(peerOk)) &&
        (!rule.ports?.length ||
          rule.ports.some(
            (x) =>
              (x.protocol ?? "TCP") === to.protocol &&
              (x.port === undefined || x.port === to.port || String(x.port) === String(to.port)),
          )),
    ),
  );
}

/**
 * Whether a NetworkPolicy peer's selectors admit a pod of namespace `podNs` with `podLabels`: its namespace
 * by the namespace's labels and `kubernetes.io/metadata.name` (no namespace selector: only the policy's own
 * namespace `policyNs`), and the pod by its labels.
 */
function peerAdmits(
  ctx: SimContext,
  peer: PolicyPeer,
  policyNs: string | undefined,
  podNs: string,
  podLabels: Record<string, string> | undefined,
): boolean {
  const nsOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, {
        "kubernetes.io/metadata.name": podNs,
        ...ctx.store.peek(R.namespaces, undefined, podNs)?.metadata.labels,
      })
    : podNs === policyNs;
  return nsOk && (!peer.podSelector || selectorMatches(peer.podSelector, podLabels));
}

/** Whether the ingress NetworkPolicies of `to`'s namespace let `from` reach it on `port`. */
export function networkAllows(ctx: SimContext, from: Pod, to: Pod, port: number | undefined): boolean {
  const ns = to.metadata.namespace;
  const policies = (ctx.store.view(R.networkpolicies, ns) as readonly KubeObject[])
    .map((o) => (o.spec ?? {}) as NetworkPolicySpec)
    .filter(
      (s) =>
        selectorMatches(s.podSelector ?? {}, to.metadata.labels) &&
        (s.policyTypes ? s.policyTypes.includes("Ingress") : true),
    );
  if (!policies.length) return true;
  const peerOk = (peer: PolicyPeer) =>
    peerAdmits(ctx, peer, ns, from.metadata.namespace ?? "default", from.metadata.labels);
  return policies.some((s) =>
    (s.ingress ?? []).some(
      (rule) =>
        (!rule.from?.length || rule.from.some(peerOk)) &&
        (!rule.ports?.length ||
          rule.ports.some(
            (x) =>
              x.port === undefined ||
              x.port === port ||
              resolvePort(to.spec.containers[0]!, x.port ?? 0) === port,
          )),
    ),
  );
}
