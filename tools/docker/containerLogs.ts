import { StringDecoder } from "node:string_decoder";
import { z } from "zod";
import { tool } from "../tool.ts";
import type { DockerClient } from "./client.ts";
import { toAegisError } from "./dockerErrors.ts";

/** One log line and the stream it was written to. */
export interface LogLine {
  stream: "stdout" | "stderr";
  text: string;
}

/** Output of `docker_container_logs`. */
export interface ContainerLogs {
  lines: LogLine[];
}

// A runaway line (a dumped payload) must not flood the model's context.
const MAX_LINE_CHARS = 2000;
const HEADER_BYTES = 8;

function clip(text: string): string {
  return text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text;
}

/**
 * Split the engine's multiplexed log stream (non-TTY containers) into lines. Each frame is an 8-byte
 * header (stream type, 3 zero bytes, big-endian payload size) and its payload; a line may span frames
 * and a UTF-8 character may span a frame boundary, so text is decoded per stream.
 */
export function demuxDockerLogs(buf: Buffer): LogLine[] {
  const lines: LogLine[] = [];
  const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  const partial = { stdout: "", stderr: "" };
  const take = (stream: "stdout" | "stderr", text: string) => {
    const parts = (partial[stream] + text).split("\n");
    partial[stream] = parts.pop() ?? "";
    for (const part of parts) lines.push({ stream, text: clip(part.replace(/\r$/, "")) });
  };
  let offset = 0;
  while (offset + HEADER_BYTES <= buf.length) {
    const type = buf[offset];
    const size = buf.readUInt32BE(offset + 4);
    const payload = buf.subarray(offset + HEADER_BYTES, Math.min(buf.length, offset + HEADER_BYTES + size));
    offset += HEADER_BYTES + size;
    // Type 0 is stdin, which logs never carry; treat anything unknown as stdout rather than dropping it.
    const stream = type === 2 ? "stderr" : "stdout";
    take(stream, decoders[stream].write(payload));
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const rest = partial[stream] + decoders[stream].end();
    if (rest) lines.push({ stream, text: clip(rest.replace(/\r$/, "")) });
  }
  return lines;
}

/** Split a TTY container's raw log (one stream, CRLF line ends) into lines. */
export function splitRawLogs(buf: Buffer): LogLine[] {
  const text = buf.toString("utf8").replace(/\r?\n$/, "");
  if (!text) return [];
  return text.split(/\r?\n/).map((line) => ({ stream: "stdout" as const, text: clip(line) }));
}

const parameters = z.object({
  container: z.string().min(1).describe("Container name or id."),
  tail: z.number().int().min(1).max(1000).default(100).describe("How many of the newest lines to return."),
  sinceSeconds: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Only lines written in the last this-many seconds."),
});

/** `docker_container_logs`: the newest lines of a container's stdout and stderr, in order. */
export function createContainerLogsTool(deps: { docker: DockerClient }) {
  return tool({
    name: "docker_container_logs",
    description:
      "Read the newest log lines of a Docker container (stdout and stderr, each line tagged with its " +
      "stream). Logs survive restarts, so a crash-looping container shows every attempt.",
    parameters,
    execute: async ({ container, tail, sinceSeconds }): Promise<ContainerLogs> => {
      const handle = deps.docker.getContainer(container);
      try {
        const info = await handle.inspect();
        const raw = await handle.logs({
          stdout: true,
          stderr: true,
          follow: false,
          timestamps: false,
          tail,
          ...(sinceSeconds ? { since: Math.floor(Date.now() / 1000) - sinceSeconds } : {}),
        });
        const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as unknown as string);
        return { lines: info.Config.Tty ? splitRawLogs(buf) : demuxDockerLogs(buf) };
      } catch (err) {
        throw toAegisError(err, container, "reading logs of");
      }
    },
  });
}
