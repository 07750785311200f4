import { readFileSync, writeFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { AegisError } from "../core/errors.ts";
import { FAULT_FAMILIES, startKubeSim } from "@aegisops/kube-sim";

const DEFAULT_PORT = 6443;

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("not a port number");
  return n;
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new AegisError(
      "config_invalid",
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

async function callSim(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, url), {
      method,
      headers: { "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new AegisError(
      "tool_failed",
      `kube-sim at ${url} did not answer: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const json = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok)
    throw new AegisError(
      "tool_failed",
      `kube-sim ${method} ${path}: ${res.status} ${json.message ?? ""}`.trim(),
    );
  return json;
}

function injectCommand(): Command {
  return new Command("inject")
    .description(`inject a fault into a running simulator (${FAULT_FAMILIES.join(", ")})`)
    .argument("<fault>", "fault family (canonical failure name)")
    .requiredOption(
      "--target <target>",
      "namespace/deployment (namespace/service for db_latency), or a node name",
    )
    .option(
      "--variant <variant>",
      "variant of the fault, e.g. bad_image | bad_revision | missing_secret for crashloop, gc_thrash | stuck_pool for pod_degraded, hot_partition for kafka_lag",
    )
    .option(
      "--param <key=value>",
      "fault parameter (repeatable), e.g. factor=3, partitions=6, from=web",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--url <url>", "simulator URL", `http://127.0.0.1:${DEFAULT_PORT}`)
    .option("--json", "print the fault record as JSON")
    .action(
      async (
        fault: string,
        opts: { target: string; variant?: string; param: string[]; url: string; json?: boolean },
      ) => {
        const params: Record<string, string> = {};
        for (const p of opts.param) {
          const i = p.indexOf("=");
          if (i <= 0) throw new AegisError("config_invalid", `--param ${p}: expected key=value`);
          params[p.slice(0, i)] = p.slice(i + 1);
        }
        const rec = (await callSim(opts.url, "POST", "/sim/faults", {
          family: fault,
          target: opts.target,
          ...(opts.variant ? { variant: opts.variant } : {}),
          params,
        })) as { id: string; family: string; cause: string; clearedBy: string };
        process.stdout.write(
          opts.json
            ? JSON.stringify(rec) + "\n"
            : `${rec.id}\t${rec.family}\t${rec.cause}\t(cleared by: ${rec.clearedBy})\n`,
        );
      },
    );
}

function faultsCommand(): Command {
  return new Command("faults")
    .description(
      "list the faults injected into a running simulator and whether their causes are still in place",
    )
    .option("--url <url>", "simulator URL", `http://127.0.0.1:${DEFAULT_PORT}`)
    .option("--json", "print JSON")
    .action(async (opts: { url: string; json?: boolean }) => {
      const out = (await callSim(opts.url, "GET", "/sim/faults")) as {
        items: { id: string; family: string; target: string; active: boolean; cause: string }[];
      };
      if (opts.json) return void process.stdout.write(JSON.stringify(out.items) + "\n");
      for (const f of out.items) {
        process.stdout.write(
          `${f.id}\t${f.family}\t${f.target}\t${f.active ? "ACTIVE" : "cleared"}\t${f.cause}\n`,
        );
      }
    });
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("not a non-negative integer");
  return n;
};

function nodeCommand(): Command {
  return new Command("node")
    .description(
      "change a node's world in a running simulator; its conditions, taints, evictions and journal follow",
    )
    .argument("<name>", "node name")
    .option("--outside-memory-mib <n>", "memory used outside the pods (MemoryPressure when short)", int)
    .option("--outside-pids <n>", "processes outside the pods (PIDPressure at 90 % of pid_max)", int)
    .option("--network-unavailable <bool>", "the CNI plugin is down (true) or back (false)")
    .option("--kubelet-down <bool>", "stop (true) or start (false) the kubelet")
    .option("--kubelet-flap-ms <n>", "the kubelet stops every other period of N ms (0 stops flapping)", int)
    .option("--url <url>", "simulator URL", `http://127.0.0.1:${DEFAULT_PORT}`)
    .action(
      async (
        name: string,
        o: {
          outsideMemoryMib?: number;
          outsidePids?: number;
          networkUnavailable?: string;
          kubeletDown?: string;
          kubeletFlapMs?: number;
          url: string;
        },
      ) => {
        const bool = (v: string | undefined, flag: string) => {
          if (v === undefined) return undefined;
          if (v !== "true" && v !== "false")
            throw new AegisError("config_invalid", `${flag} ${v}: expected true or false`);
          return v === "true";
        };
        const body = {
          ...(o.outsideMemoryMib !== undefined ? { outsideMemoryMiB: o.outsideMemoryMib } : {}),
          ...(o.outsidePids !== undefined ? { outsidePids: o.outsidePids } : {}),
          ...(o.networkUnavailable !== undefined
            ? { networkUnavailable: bool(o.networkUnavailable, "--network-unavailable") }
            : {}),
          ...(o.kubeletDown !== undefined ? { kubeletDown: bool(o.kubeletDown, "--kubelet-down") } : {}),
          ...(o.kubeletFlapMs !== undefined ? { kubeletFlapPeriodMs: o.kubeletFlapMs } : {}),
        };
        const st = await callSim(o.url, "POST", `/sim/nodes/${encodeURIComponent(name)}`, body);
        process.stdout.write(JSON.stringify(st) + "\n");
      },
    );
}

function eventCommand(): Command {
  return new Command("event")
    .description("record an Event about any object in a running simulator, as its component would")
    .argument("<kind>", "kind of the object (Pod, Node, Deployment, ...)")
    .argument("<object>", "namespace/name (a name alone: the default namespace, or a node)")
    .requiredOption("--reason <reason>", "event reason, e.g. FailedMount")
    .requiredOption("--message <text>", "event message")
    .option("--type <type>", "Normal or Warning", "Warning")
    .option("--count <n>", "how many times it happened", int, 1)
    .option("--url <url>", "simulator URL", `http://127.0.0.1:${DEFAULT_PORT}`)
    .action(
      async (
        kind: string,
        object: string,
        o: {
          reason: string;
          message: string;
          type: string;
          count: number;
          url: string;
        },
      ) => {
        const i = object.indexOf("/");
        const ref = i < 0 ? { name: object } : { namespace: object.slice(0, i), name: object.slice(i + 1) };
        const r = await callSim(o.url, "POST", "/sim/events", {
          involvedObject: { kind, ...ref },
          type: o.type,
          reason: o.reason,
          message: o.message,
          count: o.count,
        });
        process.stdout.write(JSON.stringify(r) + "\n");
      },
    );
}

const MORE_HELP = `
Served beyond the core workloads: StatefulSets with PVCs (ordered pods, ControllerRevisions, rollout
status/history/undo), Jobs and CronJobs, EndpointSlices, PersistentVolumes and StorageClasses (a default
"standard" class when the manifests bring none). Node conditions follow from the node's world (see
\`aegis kube-sim node --help\`); its journal: kubectl get --raw "/api/v1/nodes/NAME/proxy/logs/?query=kubelet".
Fixtures, the ImageRegistry and the fault families: lab/kube-sim/README.md.`;

/** `aegis kube-sim`: the Kubernetes API simulator, and `inject` / `faults` against a running one. */
export function kubeSimCommand(): Command {
  return new Command("kube-sim")
    .description(
      "run a Kubernetes API simulator that kubectl and @kubernetes/client-node accept (lab and tests)",
    )
    .option("--port <port>", "listen port (0: any free port)", parsePort, DEFAULT_PORT)
    .option("--host <host>", "listen address", "127.0.0.1")
    .option("--write-kubeconfig <file>", "write a kubeconfig (admin token) for this simulator to FILE")
    .option("--fixture <file>", "Kubernetes manifests (YAML) to start from instead of the demo cluster")
    .option(
      "--registry <file>",
      "ImageRegistry documents (YAML): what each image:tag does when run (lab/kube-sim/README.md)",
    )
    .option(
      "--rbac <file>",
      "ServiceAccounts, Roles and bindings (YAML): tokens of those accounts are checked like RBAC",
    )
    .option(
      "--tls",
      "serve HTTPS with a self-signed certificate, its CA in the kubeconfig (always on with --rbac)",
    )
    .option("--virtual-clock", "time moves only through POST /sim/advance (tests and evals)")
    .option("--name <name>", "cluster and context name in the kubeconfig (e.g. a region)", "kube-sim")
    .addHelpText("after", MORE_HELP)
    .addCommand(injectCommand())
    .addCommand(faultsCommand())
    .addCommand(nodeCommand())
    .addCommand(eventCommand())
    .action(
      async (opts: {
        port: number;
        host: string;
        writeKubeconfig?: string;
        fixture?: string;
        registry?: string;
        rbac?: string;
        virtualClock?: boolean;
        tls?: boolean;
        name: string;
      }) => {
        const sim = await startKubeSim({
          port: opts.port,
          host: opts.host,
          clock: opts.virtualClock ? "virtual" : "real",
          ...(opts.tls ? { tls: true } : {}),
          name: opts.name,
          ...(opts.fixture ? { fixture: readFile(opts.fixture, "fixture") } : {}),
          ...(opts.registry ? { registry: readFile(opts.registry, "registry") } : {}),
          ...(opts.rbac ? { rbac: readFile(opts.rbac, "RBAC file") } : {}),
        }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === "EADDRINUSE")
            throw new AegisError(
              "config_invalid",
              `cannot listen on ${opts.host}:${opts.port}: address already in use`,
            );
          if (err instanceof Error && /^(fixture|registry|ImageRegistry|\S+ of kube-sim)/.test(err.message))
            throw new AegisError("config_invalid", err.message);
          throw err;
        });
        if (opts.writeKubeconfig) writeFileSync(opts.writeKubeconfig, sim.kubeconfig(), { mode: 0o600 });
        process.stdout.write(
          `kube-sim listening on ${sim.url} (${sim.clock.mode} clock)${opts.writeKubeconfig ? `; kubeconfig: ${opts.writeKubeconfig}` : ""}\n`,
        );
        const shutdown = () => void sim.stop().then(() => process.exit(0));
        process.on("SIGINT", shutdown);
        process.on("SIGTERM", shutdown);
      },
    );
}
