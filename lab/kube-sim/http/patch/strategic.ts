/**
 * Strategic merge patch, as kubectl sends for apply, set image, rollout restart and cordon.
 * Lists of objects merge by their Kubernetes merge key; the directives `$patch`, `$setElementOrder/`,
 * `$retainKeys` and `$deleteFromPrimitiveList/` are honoured; `null` deletes a key.
 */

type Obj = Record<string, unknown>;

/** Merge keys by field name (the Kubernetes types' `patchMergeKey`s for the resources served). */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  conditions: "type",
  hostAliases: "ip",
  ownerReferences: "uid",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
};

/** Primitive lists whose patchStrategy is merge (union) rather than replace. */
const PRIMITIVE_MERGE = new Set(["finalizers"]);

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (field === "ports") {
    // Container ports merge by containerPort, Service ports by port.
    const first = items.find(isObj);
    if (first && "containerPort" in first) return "containerPort";
    if (first && "port" in first) return "port";
    return undefined;
  }
  return MERGE_KEYS[field];
}

/** Applies a strategic merge patch to `original` and returns the result (inputs are not modified). */
export function strategicMergePatch(original: unknown, patch: unknown): unknown {
  const r = mergeMap(original, patch);
  return r === undefined ? {} : r;
}

function mergeMap(original: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  if (patch.$patch === "delete") return undefined;
  if (patch.$patch === "replace") return mergeMap(undefined, { ...patch, $patch: undefined });
  const out: Obj = isObj(original) ? { ...original } : {};
  const orders: [string, unknown[]][] = [];
  const deletions: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys") continue;
    if (k.startsWith("$setElementOrder/")) {
      if (Array.isArray(v)) orders.push([k.slice("$setElementOrder/".length), v]);
      continue;
    }
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      if (Array.isArray(v)) deletions.push([k.slice("$deleteFromPrimitiveList/".length), v]);
      continue;
    }
    if (v === null || v === undefined) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = mergeList(k, out[k], v);
    } else if (isObj(v)) {
      const r = mergeMap(out[k], v);
      if (r === undefined) delete out[k];
      else out[k] = r;
    } else {
      out[k] = v;
    }
  }
  for (const [field, values] of deletions) {
    const cur = out[field];
    if (Array.isArray(cur))
      out[field] = cur.filter((x) => !values.some((d) => JSON.stringify(d) === JSON.stringify(x)));
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = reorder(field, cur, order);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function mergeList(field: string, original: unknown, patch: unknown[]): unknown[] {
  if (patch.some((i) => isObj(i) && i.$patch === "replace")) {
    return patch.filter((i) => !(isObj(i) && i.$patch === "replace")).map((i) => mergeMap(undefined, i));
  }
  const key = mergeKeyFor(field, [...patch, ...(Array.isArray(original) ? original : [])]);
  if (!key) {
    if (PRIMITIVE_MERGE.has(field) && Array.isArray(original)) {
      const out = [...original];
      for (const p of patch) if (!out.includes(p)) out.push(p);
      return out;
    }
    return patch.map((i) => (isObj(i) ? mergeMap(undefined, i) : i)) as unknown[];
  }
  const out: unknown[] = Array.isArray(original) ? [...original] : [];
  for (const item of patch) {
    if (!isObj(item)) continue;
    const idx = out.findIndex((o) => isObj(o) && o[key] === item[key]);
    if (item.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = mergeMap(out[idx], item);
    else out.push(mergeMap(undefined, item));
  }
  return out;
}

function reorder(field: string, list: unknown[], order: unknown[]): unknown[] {
  const key = mergeKeyFor(field, [...order, ...list]);
  const id = (x: unknown) => (key && isObj(x) ? JSON.stringify(x[key]) : JSON.stringify(x));
  const rank = new Map(order.map((o, i) => [id(o), i]));
  // Elements named in the order come first in that order; the rest keep their relative positions after them.
  return list
    .map((x, i) => ({ x, i, r: rank.get(id(x)) ?? order.length + i }))
    .sort((a, b) => a.r - b.r)
    .map((e) => e.x);
}
