import { posix } from "node:path";
import type { Container, KubeObject, Pod } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R } from "./context.ts";

/** The environment a container starts with, or the kubelet's CreateContainerConfigError message. */
export type EnvResult = { ok: true; env: Record<string, string> } | { ok: false; message: string };

function dataOf(o: KubeObject): Record<string, string> {
  const data = (o.data as Record<string, string> | undefined) ?? {};
  if (o.kind !== "Secret") return { ...data, ...((o.binaryData as Record<string, string>) ?? {}) };
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
}

function lookup(
  ctx: SimContext,
  kind: "Secret" | "ConfigMap",
  ns: string,
  name: string,
): KubeObject | undefined {
  return ctx.store.peek(kind === "Secret" ? R.secrets : R.configmaps, ns, name);
}

const notFound = (kind: "Secret" | "ConfigMap", name: string) => `${kind.toLowerCase()} "${name}" not found`;

/** Resolves a container's env (value, secretKeyRef, configMapKeyRef, envFrom) as the kubelet does before starting it. */
export function resolveEnv(ctx: SimContext, p: Pod, c: Container): EnvResult {
  const ns = p.metadata.namespace ?? "default";
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind = from.secretRef ? "Secret" : "ConfigMap";
    const o = lookup(ctx, kind, ns, ref.name);
    if (!o) {
      if (ref.optional) continue;
      return { ok: false, message: notFound(kind, ref.name) };
    }
    Object.assign(env, dataOf(o));
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      env[e.name] = e.value ?? "";
      continue;
    }
    const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
    if (!ref) {
      env[e.name] = e.valueFrom.fieldRef ? fieldValue(p, e.valueFrom.fieldRef.fieldPath) : "";
      continue;
    }
    const kind = e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap";
    const o = lookup(ctx, kind, ns, ref.name);
    if (!o) {
      if (ref.optional) continue;
      return { ok: false, message: notFound(kind, ref.name) };
    }
    const data = dataOf(o);
    if (!(ref.key in data)) {
      if (ref.optional) continue;
      return { ok: false, message: `couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name}` };
    }
    env[e.name] = data[ref.key]!;
  }
  return { ok: true, env };
}

function fieldValue(p: Pod, path: string): string {
  if (path === "metadata.name") return p.metadata.name;
  if (path === "metadata.namespace") return p.metadata.namespace ?? "";
  if (path === "spec.nodeName") return p.spec.nodeName ?? "";
  if (path === "status.podIP") return p.status?.podIP ?? "";
  return "";
}

/** Why the pod's volumes cannot be set up (the kubelet's FailedMount message), or undefined when they can. */
export function volumeError(ctx: SimContext, p: Pod): string | undefined {
  const ns = p.metadata.namespace ?? "default";
  for (const v of p.spec.volumes ?? []) {
    if (v.persistentVolumeClaim) {
      const pvc = ctx.store.peek(R.pvcs, ns, v.persistentVolumeClaim.claimName);
      if ((pvc?.status as { phase?: string } | undefined)?.phase !== "Bound")
        return `Unable to attach or mount volumes: unmounted volumes=[${v.name}], unattached volumes=[], failed to process volumes=[]: timed out waiting for the condition`;
      continue;
    }
    const src = v.configMap
      ? { kind: "ConfigMap" as const, ...v.configMap }
      : v.secret
        ? { kind: "Secret" as const, ...v.secret, name: v.secret.secretName }
        : undefined;
    if (!src) continue;
    const o = lookup(ctx, src.kind, ns, src.name);
    if (!o) {
      if (src.optional) continue;
      return `MountVolume.SetUp failed for volume "${v.name}" : ${notFound(src.kind, src.name)}`;
    }
    const data = dataOf(o);
    const missing = (src.items ?? []).find((i) => !(i.key in data));
    if (missing && !src.optional)
      return `MountVolume.SetUp failed for volume "${v.name}" : ${src.kind.toLowerCase()} references non-existent config key: ${missing.key}`;
  }
  return undefined;
}

/** The files a container sees from its ConfigMap and Secret volumes (absolute paths). */
export function mountedFiles(ctx: SimContext, p: Pod, c: Container): Set<string> {
  const ns = p.metadata.namespace ?? "default";
  const files = new Set<string>();
  for (const m of c.volumeMounts ?? []) {
    const v = p.spec.volumes?.find((x) => x.name === m.name);
    const src = v?.configMap
      ? lookup(ctx, "ConfigMap", ns, v.configMap.name)
      : v?.secret
        ? lookup(ctx, "Secret", ns, v.secret.secretName)
        : undefined;
    if (!v || !src) continue;
    const items = (v.configMap ?? v.secret)?.items;
    const keys = Object.keys(dataOf(src));
    const paths = items ? items.filter((i) => keys.includes(i.key)).map((i) => i.path) : keys;
    if (m.subPath) {
      if (paths.includes(m.subPath)) files.add(m.mountPath);
    } else for (const f of paths) files.add(posix.join(m.mountPath, f));
  }
  return files;
}
