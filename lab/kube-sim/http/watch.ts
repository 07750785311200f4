import type { ServerResponse } from "node:http";
import type { ResourceDef } from "../resources.ts";
import type { Store, WatchEvent } from "../store.ts";
import type { KubeObject } from "../types.ts";
import type { Selector } from "./selectors.ts";

/** What a watch request asks for. */
export interface WatchRequest {
  resource: ResourceDef;
  namespace: string | undefined;
  labels: Selector;
  fields: Selector;
  resourceVersion: string | null;
  timeoutSeconds: number | null;
  /** Renders each object (a one-row Table for `kubectl get -w`); the object itself by default. */
  render?: (o: KubeObject) => unknown;
}

/**
 * Streams watch events as newline-delimited JSON. Headers go out at once (kubectl waits for them); events
 * after `resourceVersion` are replayed when still kept, otherwise the current objects are sent as ADDED.
 */
export function streamWatch(
  store: Store,
  res: ServerResponse,
  w: WatchRequest,
  onClose: (fn: () => void) => void,
): void {
  res.writeHead(200, {
    "Content-Type": "application/json",
    "Transfer-Encoding": "chunked",
    "Cache-Control": "no-cache",
  });
  res.flushHeaders();
  const selects = (o: KubeObject) =>
    (w.namespace === undefined || !w.resource.namespaced || o.metadata.namespace === w.namespace) &&
    w.labels(o) &&
    w.fields(o);
  // As the API server does: an object that starts or stops matching the selectors is ADDED or DELETED.
  const typeFor = (ev: WatchEvent): string | undefined => {
    if (ev.resource !== w.resource) return undefined;
    const now = selects(ev.object);
    if (ev.type !== "MODIFIED" || !ev.previous) return now ? ev.type : undefined;
    const before = selects(ev.previous);
    if (now) return before ? "MODIFIED" : "ADDED";
    return before ? "DELETED" : undefined;
  };
  const render = w.render ?? ((o: KubeObject) => o);
  const send = (type: string, object: KubeObject) =>
    res.write(JSON.stringify({ type, object: render(object) }) + "\n");

  const rv = w.resourceVersion && w.resourceVersion !== "0" ? Number(w.resourceVersion) : NaN;
  const replay = Number.isFinite(rv) ? store.since(rv) : undefined;
  if (replay) {
    for (const ev of replay) {
      const type = typeFor(ev);
      if (type) send(type, ev.object);
    }
  } else {
    for (const o of store.view(w.resource, w.namespace)) if (selects(o)) send("ADDED", o);
  }
  const unsubscribe = store.subscribe((ev) => {
    const type = typeFor(ev);
    if (type) send(type, ev.object);
  });
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  if (w.timeoutSeconds && w.timeoutSeconds > 0) timer = setTimeout(finish, w.timeoutSeconds * 1000);
  // res 'close' (not req 'close') tells a client disconnect from the end of the request body.
  res.on("close", finish);
  onClose(finish);
}
