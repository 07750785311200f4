import type { ServerResponse } from "node:http";
import type { ResourceDef } from "../resources.ts";
import type { Store, WatchEvent } from "../store.ts";
import type { Selector } from "./selectors.ts";

/** What a watch request asks for. */
export interface WatchRequest {
  resource: ResourceDef;
  namespace: string | undefined;
  labels: Selector;
  fields: Selector;
  resourceVersion: string | null;
  timeoutSeconds: number | null;
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
  const matches = (ev: WatchEvent) =>
    ev.resource === w.resource &&
    (w.namespace === undefined || !w.resource.namespaced || ev.object.metadata.namespace === w.namespace) &&
    w.labels(ev.object) &&
    w.fields(ev.object);
  const send = (type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + "\n");

  const rv = w.resourceVersion && w.resourceVersion !== "0" ? Number(w.resourceVersion) : NaN;
  const replay = Number.isFinite(rv) ? store.since(rv) : undefined;
  if (replay) {
    for (const ev of replay) if (matches(ev)) send(ev.type, ev.object);
  } else {
    for (const o of store.list(w.resource, w.namespace)) if (w.labels(o) && w.fields(o)) send("ADDED", o);
  }
  const unsubscribe = store.subscribe((ev) => {
    if (matches(ev)) send(ev.type, ev.object);
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
