import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.ts";
import { rfc3339 } from "./clock.ts";
import { ApiError, alreadyExists, notFound } from "./http/status.ts";
import type { ResourceDef } from "./resources.ts";
import { apiVersionOf } from "./resources.ts";
import type { KubeObject } from "./types.ts";
import { clone } from "./types.ts";

/** One change, as a watch stream carries it. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
  resource: ResourceDef;
  rv: number;
  /** The object before a MODIFIED change (watches with selectors need it). */
  previous?: KubeObject;
}

type Listener = (ev: WatchEvent) => void;

/** Which parts of an object a write may change, like the main resource vs. its `/status` subresource. */
export type WriteScope = "all" | "spec" | "status";

const HISTORY = 10_000;

/** Typed object store: resourceVersion counter, uid, generation, creationTimestamp and watch fan-out. */
export class Store {
  private rv = 1;
  private readonly objects = new Map<ResourceDef, Map<string, KubeObject>>();
  private readonly byUid = new Map<string, KubeObject>();
  private readonly listeners = new Set<Listener>();
  private readonly history: WatchEvent[] = [];

  constructor(private readonly clock: Clock) {}

  /** The latest resourceVersion handed out. */
  currentVersion(): string {
    return String(this.rv);
  }

  private table(res: ResourceDef): Map<string, KubeObject> {
    let t = this.objects.get(res);
    if (!t) {
      t = new Map();
      this.objects.set(res, t);
    }
    return t;
  }

  private static key(ns: string | undefined, name: string): string {
    return `${ns ?? ""}/${name}`;
  }

  /** Creates an object; a `generateName` without a name gets a random suffix. */
  create(res: ResourceDef, input: KubeObject): KubeObject {
    const obj = clone(input);
    const md = obj.metadata ?? { name: "" };
    obj.metadata = md;
    if (!md.name && md.generateName) md.name = md.generateName + randomSuffix(5);
    if (!md.name) throw new ApiError("Invalid", `${res.kind} "" is invalid: metadata.name: Required value`);
    if (!res.namespaced) delete md.namespace;
    else md.namespace = md.namespace || "default";
    const t = this.table(res);
    const key = Store.key(md.namespace, md.name);
    if (t.has(key)) throw alreadyExists(res.plural, res.group, md.name);
    obj.apiVersion = apiVersionOf(res);
    obj.kind = res.kind;
    md.uid = randomUUID();
    md.creationTimestamp = rfc3339(this.clock.now());
    md.resourceVersion = String(++this.rv);
    if ("spec" in obj) md.generation = 1;
    else delete md.generation;
    delete md.deletionTimestamp;
    deepFreeze(obj);
    t.set(key, obj);
    this.byUid.set(md.uid, obj);
    this.emit({ type: "ADDED", object: obj, resource: res, rv: this.rv });
    return clone(obj);
  }

  /** The object or undefined. */
  get(res: ResourceDef, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.table(res).get(Store.key(res.namespaced ? ns : undefined, name));
    return o ? clone(o) : undefined;
  }

  /** The object, or a NotFound ApiError. */
  mustGet(res: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const o = this.get(res, ns, name);
    if (!o) throw notFound(res.plural, res.group, name);
    return o;
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace and name. */
  list(res: ResourceDef, ns?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.table(res).values()) {
      if (ns === undefined || !res.namespaced || o.metadata.namespace === ns) out.push(clone(o));
    }
    return out.sort((a, b) =>
      Store.key(a.metadata.namespace, a.metadata.name).localeCompare(
        Store.key(b.metadata.namespace, b.metadata.name),
      ),
    );
  }

  /**
   * Objects of a resource without copying: stored objects are deeply frozen, so read-only callers (controllers'
   * scans, metrics, list responses) share them. Use `list` to get copies to modify.
   */
  view(res: ResourceDef, ns?: string): readonly KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.table(res).values()) {
      if (ns === undefined || !res.namespaced || o.metadata.namespace === ns) out.push(o);
    }
    return out.sort((a, b) =>
      Store.key(a.metadata.namespace, a.metadata.name).localeCompare(
        Store.key(b.metadata.namespace, b.metadata.name),
      ),
    );
  }

  /** One stored (frozen) object without copying, or undefined. */
  peek(res: ResourceDef, ns: string | undefined, name: string): KubeObject | undefined {
    return this.table(res).get(Store.key(res.namespaced ? ns : undefined, name));
  }

  /** True when some stored object carries this uid. */
  hasUid(uid: string): boolean {
    return this.byUid.has(uid);
  }

  /**
   * Replaces an object. `scope` "spec" keeps the stored status (the main resource), "status" keeps everything
   * but status (the /status subresource). A resourceVersion in the input must match (optimistic concurrency).
   * Changes outside metadata and status bump metadata.generation.
   */
  update(res: ResourceDef, input: KubeObject, scope: WriteScope = "all"): KubeObject {
    const ns = res.namespaced ? input.metadata.namespace || "default" : undefined;
    const t = this.table(res);
    const key = Store.key(ns, input.metadata.name);
    const cur = t.get(key);
    if (!cur) throw notFound(res.plural, res.group, input.metadata.name);
    const rvIn = input.metadata.resourceVersion;
    if (rvIn && rvIn !== cur.metadata.resourceVersion) {
      throw new ApiError(
        "Conflict",
        `Operation cannot be fulfilled on ${res.group ? `${res.plural}.${res.group}` : res.plural} "${cur.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: cur.metadata.name, group: res.group, kind: res.plural },
      );
    }
    let next = clone(input);
    if (scope === "status") {
      next = { ...clone(cur), status: next.status };
      if (next.status === undefined) delete next.status;
    } else if (scope === "spec" && "status" in cur) {
      next.status = clone(cur.status);
    }
    next.apiVersion = apiVersionOf(res);
    next.kind = res.kind;
    const md = { ...next.metadata };
    md.name = cur.metadata.name;
    if (ns) md.namespace = ns;
    else delete md.namespace;
    md.uid = cur.metadata.uid;
    md.creationTimestamp = cur.metadata.creationTimestamp;
    if (cur.metadata.deletionTimestamp) md.deletionTimestamp = cur.metadata.deletionTimestamp;
    md.generation = cur.metadata.generation;
    if (md.generation !== undefined && specOf(cur) !== specOf(next)) md.generation += 1;
    if (md.generation === undefined) delete md.generation;
    next.metadata = md;
    if (JSON.stringify(stripRv(cur)) === JSON.stringify(stripRv(next))) return clone(cur);
    md.resourceVersion = String(++this.rv);
    deepFreeze(next);
    t.set(key, next);
    this.byUid.set(md.uid!, next);
    this.emit({ type: "MODIFIED", object: next, resource: res, rv: this.rv, previous: cur });
    return clone(next);
  }

  /**
   * Moves an object's creationTimestamp into the past (the lab's history: a workload that has run for days).
   * Not an API operation: the API server never lets a client change it.
   */
  backdate(res: ResourceDef, ns: string | undefined, name: string, at: number): void {
    const t = this.table(res);
    const key = Store.key(res.namespaced ? ns : undefined, name);
    const cur = t.get(key);
    if (!cur) return;
    const next = clone(cur);
    next.metadata = { ...next.metadata, creationTimestamp: rfc3339(at), resourceVersion: String(++this.rv) };
    deepFreeze(next);
    t.set(key, next);
    this.byUid.set(next.metadata.uid!, next);
    this.emit({ type: "MODIFIED", object: next, resource: res, rv: this.rv, previous: cur });
  }

  /** Deletes an object at once (the simulator has no graceful termination) and returns it. */
  delete(res: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const t = this.table(res);
    const key = Store.key(res.namespaced ? ns : undefined, name);
    const cur = t.get(key);
    if (!cur) throw notFound(res.plural, res.group, name);
    t.delete(key);
    this.byUid.delete(cur.metadata.uid!);
    const gone = clone(cur);
    gone.metadata.resourceVersion = String(++this.rv);
    gone.metadata.deletionTimestamp = rfc3339(this.clock.now());
    this.emit({ type: "DELETED", object: gone, resource: res, rv: this.rv });
    return clone(gone);
  }

  /** Subscribes to every change; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Changes after resourceVersion `rv`, or undefined when they are no longer kept. */
  since(rv: number): WatchEvent[] | undefined {
    const first = this.history[0];
    if (rv >= this.rv) return [];
    if (!first || first.rv > rv + 1) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  private emit(ev: WatchEvent): void {
    const frozen = { ...ev, object: deepFreeze(ev.object) };
    this.history.push(frozen);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const l of this.listeners) l(frozen);
  }
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
}

function stripRv(o: KubeObject): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: "" } };
}

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Random name suffix from the API server's alphabet (no vowels, no ambiguous digits). */
export function randomSuffix(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}
