import type { KubeObject, Pod } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, isActive, isPodReady } from "./context.ts";
import { resolvePort } from "./process.ts";

interface ServiceSpec {
  selector?: Record<string, string>;
  ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
}

interface Subset {
  addresses?: {
    ip: string;
    nodeName?: string;
    targetRef: { kind: string; namespace: string; name: string; uid: string };
  }[];
  notReadyAddresses?: Subset["addresses"];
  ports: { name?: string; port: number; protocol: string }[];
}

/**
 * The endpoints controller: one Endpoints object per Service with a selector, listing the matching pods' IPs
 * (ready ones under `addresses`, the rest under `notReadyAddresses`) and the targetPort each resolves to.
 * A selector that matches nothing (or a Service scaled to zero) gives no subsets: `kubectl get endpoints` shows
 * `<none>`.
 */
export function reconcileEndpoints(ctx: SimContext): void {
  const seen = new Set<string>();
  for (const svc of ctx.store.view(R.services)) {
    const spec = (svc.spec ?? {}) as ServiceSpec;
    const sel = spec.selector ?? {};
    if (Object.keys(sel).length === 0) continue;
    const ns = svc.metadata.namespace!;
    seen.add(`${ns}/${svc.metadata.name}`);
    const pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
      (p) =>
        isActive(p) && p.status?.podIP && Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v),
    );
    // Pods are grouped by the ports their containers resolve the Service's targetPorts to.
    const groups = new Map<string, Subset>();
    for (const p of pods) {
      const ports = (spec.ports ?? []).flatMap((sp) => {
        const target = sp.targetPort ?? sp.port;
        const n =
          typeof target === "number"
            ? target
            : p.spec.containers.map((c) => resolvePort(c, target)).find((x) => x !== undefined);
        return n === undefined
          ? []
          : [{ ...(sp.name ? { name: sp.name } : {}), port: n, protocol: sp.protocol ?? "TCP" }];
      });
      if (!ports.length) continue;
      const key = JSON.stringify(ports);
      const g = groups.get(key) ?? { ports };
      const addr = {
        ip: p.status!.podIP!,
        ...(p.spec.nodeName ? { nodeName: p.spec.nodeName } : {}),
        targetRef: { kind: "Pod", namespace: ns, name: p.metadata.name, uid: p.metadata.uid! },
      };
      if (isPodReady(p)) (g.addresses ??= []).push(addr);
      else (g.notReadyAddresses ??= []).push(addr);
      groups.set(key, g);
    }
    const subsets = [...groups.values()];
    syncSlices(ctx, svc, subsets, pods);
    const existing = ctx.store.peek(R.endpoints, ns, svc.metadata.name);
    const body: KubeObject = {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: svc.metadata.name, namespace: ns, labels: svc.metadata.labels },
      ...(subsets.length ? { subsets } : {}),
    };
    if (!existing) ctx.store.create(R.endpoints, body);
    else if (JSON.stringify(existing.subsets ?? []) !== JSON.stringify(body.subsets ?? []))
      ctx.store.update(R.endpoints, {
        ...existing,
        subsets: body.subsets,
        metadata: { ...existing.metadata, resourceVersion: undefined },
      });
  }
  for (const ep of ctx.store.view(R.endpoints)) {
    if (!seen.has(`${ep.metadata.namespace}/${ep.metadata.name}`))
      ctx.store.delete(R.endpoints, ep.metadata.namespace, ep.metadata.name);
  }
}

/** A stable five-letter suffix for a slice name (the real controller uses generateName). */
function suffix(seed: string): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let h = 0x811c9dc5;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  let out = "";
  for (let i = 0; i < 5; i++) {
    out += alphabet[h % alphabet.length];
    h = Math.floor(h / alphabet.length) + i * 7919;
  }
  return out;
}

/**
 * The EndpointSlice controller beside the endpoints one: one discovery.k8s.io/v1 slice per port set of a
 * Service (labelled `kubernetes.io/service-name`, owned by the Service), each endpoint with its `ready`,
 * `serving` and `terminating` conditions. A Service that selects nothing keeps one empty slice.
 */
function syncSlices(ctx: SimContext, svc: KubeObject, subsets: Subset[], pods: Pod[]): void {
  const ns = svc.metadata.namespace!;
  const byIp = new Map(pods.map((p) => [p.status?.podIP, p]));
  const wanted = (subsets.length ? subsets : [{ ports: [] } as Subset]).map((g, i) => {
    const endpoints = [
      ...(g.addresses ?? []).map((a) => ({ a, ready: true })),
      ...(g.notReadyAddresses ?? []).map((a) => ({ a, ready: false })),
    ].map(({ a, ready }) => ({
      addresses: [a.ip],
      conditions: {
        ready,
        serving: ready,
        terminating: !!byIp.get(a.ip)?.metadata.deletionTimestamp,
      },
      ...(a.nodeName ? { nodeName: a.nodeName } : {}),
      targetRef: a.targetRef,
    }));
    return {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${svc.metadata.name}-${suffix(`${ns}/${svc.metadata.name}/${i}`)}`,
        namespace: ns,
        labels: {
          ...svc.metadata.labels,
          "kubernetes.io/service-name": svc.metadata.name,
          "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        },
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "Service",
            name: svc.metadata.name,
            uid: svc.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      addressType: "IPv4",
      endpoints,
      // The EndpointSlice controller writes an unnamed port's name as "" (kubectl describe dereferences it).
      ports: g.ports.map((p) => ({ ...p, name: p.name ?? "" })),
    } as KubeObject;
  });
  const names = new Set(wanted.map((w) => w.metadata.name));
  for (const old of ctx.store.view(R.endpointslices, ns))
    if (
      old.metadata.labels?.["kubernetes.io/service-name"] === svc.metadata.name &&
      old.metadata.ownerReferences?.[0]?.uid === svc.metadata.uid &&
      !names.has(old.metadata.name)
    )
      ctx.store.delete(R.endpointslices, ns, old.metadata.name);
  for (const w of wanted) {
    const existing = ctx.store.peek(R.endpointslices, ns, w.metadata.name);
    if (!existing) ctx.store.create(R.endpointslices, w);
    else if (JSON.stringify([existing.endpoints, existing.ports]) !== JSON.stringify([w.endpoints, w.ports]))
      ctx.store.update(R.endpointslices, {
        ...existing,
        endpoints: w.endpoints,
        ports: w.ports,
        metadata: { ...existing.metadata, resourceVersion: undefined },
      });
  }
}
