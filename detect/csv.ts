import { AegisError } from "../core/errors.ts";

/** One observation of a series. */
export interface Point {
  /** The timestamp as written in the file (echoed back unchanged). */
  stamp: string;
  /** Milliseconds since the epoch (UTC when the stamp carries no zone). */
  t: number;
  value: number;
}

/**
 * Parse a timestamp: ISO 8601 / NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC unless a zone is given),
 * or Unix seconds. Returns NaN when it is neither.
 */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (m === null) return Number.NaN;
  const time = m[2]!.replace(/(\.\d{3})\d+$/, "$1");
  return Date.parse(`${m[1]}T${time}${m[3] ?? "Z"}`);
}

/**
 * Parse a `timestamp,value` CSV (a header line is optional). A bad line is an error naming the source
 * and line, never a silently dropped point.
 */
export function parseSeriesCsv(text: string, source: string): Point[] {
  const points: Point[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const comma = line.indexOf(",");
    const stamp = comma < 0 ? line : line.slice(0, comma);
    const rest = comma < 0 ? "" : line.slice(comma + 1);
    const value = rest.trim() === "" ? Number.NaN : Number(rest.split(",")[0]);
    const t = parseTimestamp(stamp);
    if (points.length === 0 && Number.isNaN(t) && Number.isNaN(value)) continue; // header
    if (Number.isNaN(t) || !Number.isFinite(value)) {
      throw new AegisError(
        "input_invalid",
        `${source}:${i + 1}: expected "timestamp,value", got "${line.slice(0, 80)}"`,
        {
          details: { source, line: i + 1 },
        },
      );
    }
    const prev = points[points.length - 1];
    if (prev !== undefined && t < prev.t) {
      throw new AegisError("input_invalid", `${source}:${i + 1}: timestamp ${stamp} goes back in time`, {
        details: { source, line: i + 1 },
      });
    }
    points.push({ stamp, t, value });
  }
  return points;
}
