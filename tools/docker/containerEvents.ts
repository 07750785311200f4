import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { tool } from "../tool.ts";
import type { DockerClient } from "./client.ts";
import { toAegisError } from "./dockerErrors.ts";

/** One lifecycle event of a container. */
export interface ContainerEvent {
  /** The engine's action: `start`, `die`, `kill`, `restart`, `oom`, `health_status: unhealthy`, ... */
  action: string;
  time: string;
  exitCode?: number;
  signal?: string;
}

/** Output of `docker_container_events`. */
export interface ContainerEvents {
  events: ContainerEvent[];
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

// The engine holds the stream open until `until`; this bounds a stuck engine, not a normal read.
const READ_TIMEOUT_MS = 15_000;

/** ISO time to the engine's `seconds.nanoseconds` timestamp form. */
function engineTimestamp(ms: number): number {
  return Math.round(ms) / 1000;
}

function toIso(ev: RawEvent): string {
  if (ev.timeNano) return new Date(Math.floor(ev.timeNano / 1e6)).toISOString();
  return new Date((ev.time ?? 0) * 1000).toISOString();
}

/**
 * Parse the engine's newline-delimited JSON event stream into the events of `container` (name or id
 * prefix). The engine's container filter matches name prefixes, so `web` would also get `web-r2`'s
 * events; only an exact name or an id prefix counts here. Health-check execs are dropped as noise.
 */
export function parseEvents(text: string, container: string): ContainerEvent[] {
  const events: ContainerEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line) as RawEvent;
    const actorName = ev.Actor?.Attributes?.name;
    if (actorName !== container && !(ev.Actor?.ID ?? "").startsWith(container)) continue;
    const action = ev.Action ?? ev.status ?? "";
    // Every HEALTHCHECK run is an exec_create/exec_start/exec_die triple; health_status events carry
    // what matters about them.
    if (!action || action.startsWith("exec_")) continue;
    const attrs = ev.Actor?.Attributes ?? {};
    const out: ContainerEvent = { action, time: toIso(ev) };
    if (attrs.exitCode !== undefined && Number.isFinite(Number(attrs.exitCode)))
      out.exitCode = Number(attrs.exitCode);
    if (attrs.signal) out.signal = attrs.signal;
    events.push(out);
  }
  return events;
}

async function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      reject(new AegisError("tool_failed", "the engine did not close the event stream in time"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Buffer | string) =>
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)),
    );
    stream.on("error", (err) => {
      signal.removeEventListener("abort", onAbort);
      reject(err);
    });
    stream.on("end", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 time");

const parameters = z.object({
  container: z.string().min(1).describe("Container name or id."),
  sinceIso: isoTime.describe("Start of the window (ISO-8601), e.g. the time an action was sent."),
  untilIso: isoTime
    .optional()
    .describe("End of the window (ISO-8601); defaults to now, and is never later than now."),
});

/** `docker_container_events`: the container's lifecycle events (start, die, kill, oom, health) in a window. */
export function createContainerEventsTool(deps: { docker: DockerClient }) {
  return tool({
    name: "docker_container_events",
    description:
      "List a Docker container's lifecycle events between two times: start, die (with exit code), kill " +
      "(with signal), restart, oom, health_status changes. Use it to learn whether a container was " +
      "restarted or OOM-killed after a given moment.",
    parameters,
    execute: async ({ container, sinceIso, untilIso }, { signal }): Promise<ContainerEvents> => {
      const now = Date.now();
      const since = Date.parse(sinceIso);
      // A future `until` would hold the stream open until then.
      const until = Math.min(untilIso ? Date.parse(untilIso) : now, now);
      if (until < since) return { events: [] };
      const timeout = AbortSignal.timeout(READ_TIMEOUT_MS);
      try {
        const stream = await deps.docker.getEvents({
          since: engineTimestamp(since),
          until: engineTimestamp(until),
          filters: { container: [container], type: ["container"] },
        });
        const text = await readAll(stream, signal ? AbortSignal.any([signal, timeout]) : timeout);
        return { events: parseEvents(text, container) };
      } catch (err) {
        throw toAegisError(err, container, "reading events of");
      }
    },
  });
}
