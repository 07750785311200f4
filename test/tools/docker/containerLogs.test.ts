import { describe, expect, it } from "vitest";
import { demuxDockerLogs, splitRawLogs } from "../../../tools/docker/containerLogs.ts";

/** One frame of the engine's multiplexed stream: [type, 0, 0, 0, size BE] + payload. */
function frame(type: 1 | 2, payload: Buffer | string): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe("demuxDockerLogs", () => {
  it("keeps stdout and stderr lines apart and in order", () => {
    const buf = Buffer.concat([
      frame(1, "listening on 127.0.0.1:8081\n"),
      frame(2, "FATAL configuration error: missing required setting DATABASE_URL\n"),
      frame(1, "second\n"),
    ]);
    expect(demuxDockerLogs(buf)).toEqual([
      { stream: "stdout", text: "listening on 127.0.0.1:8081" },
      { stream: "stderr", text: "FATAL configuration error: missing required setting DATABASE_URL" },
      { stream: "stdout", text: "second" },
    ]);
  });

  it("joins a line split across frames, even inside a multi-byte character", () => {
    const text = Buffer.from("température élevée\n");
    const cut = text.indexOf(0xc3) + 1; // in the middle of "é"
    const buf = Buffer.concat([frame(2, text.subarray(0, cut)), frame(2, text.subarray(cut))]);
    expect(demuxDockerLogs(buf)).toEqual([{ stream: "stderr", text: "température élevée" }]);
  });

  it("returns a last line without newline and ignores a truncated trailing header", () => {
    const buf = Buffer.concat([frame(1, "a\nno newline"), Buffer.from([1, 0, 0])]);
    expect(demuxDockerLogs(buf)).toEqual([
      { stream: "stdout", text: "a" },
      { stream: "stdout", text: "no newline" },
    ]);
  });

  it("clips a runaway line", () => {
    const [line] = demuxDockerLogs(frame(1, `${"x".repeat(5000)}\n`));
    expect(line?.text.length).toBeLessThan(2100);
  });
});

describe("splitRawLogs", () => {
  it("splits a TTY log on CRLF into stdout lines", () => {
    expect(splitRawLogs(Buffer.from("one\r\ntwo\r\n"))).toEqual([
      { stream: "stdout", text: "one" },
      { stream: "stdout", text: "two" },
    ]);
    expect(splitRawLogs(Buffer.alloc(0))).toEqual([]);
  });
});
