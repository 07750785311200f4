/**
 * Secret redaction for everything that enters an incident (alerts, tool results, evidence) and everything
 * that leaves the process (model requests, logs, cassettes). Pure functions: the pattern table of
 * `secretPatterns.ts` over text, a line-state machine for what spans lines (a private key's body, a YAML
 * block or a JSON value on the line after its key), and a walk over JSON-like values that carries that state
 * from one string to the next (log lines arrive one string each) and hides the values of secret-named keys.
 */
import { KEY_BLOCK_RULE, MAY_HOLD_SECRET, REDACTED, SECRET_NAME, SECRET_RULES } from "./secretPatterns.ts";

export { REDACTED };

/** State carried across lines and across the strings of one value (one log line per string). */
interface LineState {
  /** Inside a private key whose END line has not been seen yet. */
  inKey: boolean;
  /** The previous line ended with a secret name and `:`/`=`: the next line's value is the secret. */
  valueNext: boolean;
  /** Indentation of a YAML key whose block scalar (`|`, `>`) holds a secret; lines indented deeper are it. */
  blockIndent: number | null;
}

const freshState = (): LineState => ({ inKey: false, valueNext: false, blockIndent: null });

const KEY_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----.*/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
/** PEM headers of legacy encrypted keys, which sit between BEGIN and the body. */
const KEY_HEADER = /^\s*(?:Proc-Type|DEK-Info|Comment|Version|Hash)\s*:/;
/** A line of base64 key body, bare or after a short log prefix (a timestamp, a level). */
const KEY_BODY = /^\s*(?:\S+\s+){0,3}([A-Za-z0-9+/]{4,}={0,2})\s*$/;
/** A line that is nothing but a long base64 run mixing cases and digits: key material cut off from its BEGIN. */
const BARE_BLOB = /^\s*["']?([A-Za-z0-9+/]{40,}={0,2})["']?,?\s*$/;
const SECRET_KEY_AT_END = new RegExp(`\\b(?:${SECRET_NAME})["']?\\s*[:=]\\s*$`, "i");
const SECRET_KEY_BLOCK = new RegExp(`^(\\s*)["']?(?:${SECRET_NAME})["']?\\s*:\\s*[|>][-+]?\\s*$`, "i");

function isKeyBody(line: string): boolean {
  const m = KEY_BODY.exec(line);
  if (!m) return line.trim() === "" || KEY_HEADER.test(line);
  // A short last token is key body only when it is the whole line (the key's last, short line).
  return m[1]!.length >= 40 || line.trim() === m[1];
}

function isBareBlob(line: string): boolean {
  const m = BARE_BLOB.exec(line);
  return !!m && /[A-Z]/.test(m[1]!) && /[a-z]/.test(m[1]!) && /[0-9]/.test(m[1]!);
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/** A timestamp a log API or the app put before the line (`kubectl logs --timestamps`, RFC 3339). */
const TIMESTAMP_PREFIX = /^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]? /;

/** One line through the state machine; returns the line as it may be shown. */
function redactLine(line: string, state: LineState): string {
  // Indentation, bare key lines and "value on the next line" are judged after the timestamp.
  const stamp = TIMESTAMP_PREFIX.exec(line)?.[0] ?? "";
  return stamp + redactBody(line.slice(stamp.length), state);
}

function redactBody(line: string, state: LineState): string {
  if (state.inKey) {
    const end = KEY_END.exec(line);
    if (end) {
      state.inKey = false;
      return `${REDACTED} ${line.slice(end.index)}`;
    }
    if (isKeyBody(line)) return line.trim() === "" ? line : REDACTED;
    state.inKey = false;
  }
  if (state.blockIndent !== null) {
    if (line.trim() === "" || indentOf(line) > state.blockIndent) return line.trim() === "" ? line : REDACTED;
    state.blockIndent = null;
  }
  if (state.valueNext && line.trim() !== "") {
    state.valueNext = false;
    return line.replace(/^(\s*)(\S.*?)(,?\s*)$/, `$1${REDACTED}$3`);
  }
  const begin = KEY_BEGIN.exec(line);
  // A BEGIN with its END on the same line is a block already redacted whole.
  if (begin && !KEY_END.test(begin[0])) {
    state.inKey = true;
    return `${line.slice(0, begin.index)}-----BEGIN ${begin[1]}----- ${REDACTED}`;
  }
  if (isBareBlob(line)) {
    // Key material whose BEGIN line is not here (cut off by a log tail): what follows may be more of it.
    state.inKey = true;
    return REDACTED;
  }
  const block = SECRET_KEY_BLOCK.exec(line);
  if (block) state.blockIndent = block[1]!.length;
  else if (SECRET_KEY_AT_END.test(line)) state.valueNext = true;
  return line;
}

function redactWithState(text: string, state: LineState): string {
  const pending = state.inKey || state.valueNext || state.blockIndent !== null;
  if (!pending && !MAY_HOLD_SECRET.test(text)) return text;
  // Whole key blocks first, so a key that starts and ends in this text is one marker.
  let out = text.replace(KEY_BLOCK_RULE.pattern, KEY_BLOCK_RULE.replace as string);
  out = out.includes("\n")
    ? out
        .split("\n")
        .map((line) => redactLine(line, state))
        .join("\n")
    : redactLine(out, state);
  for (const rule of SECRET_RULES) out = out.replace(rule.pattern, rule.replace as never);
  // A value already redacted by an earlier rule stays one marker, not "[redacted]]".
  return out.replaceAll(`${REDACTED}]`, REDACTED);
}

/** Replace every secret this module recognises in `text` (one string; may span lines). */
export function redactText(text: string): string {
  return redactWithState(text, freshState());
}

/**
 * Redact a sequence of lines that belong together (a log): a private key whose BEGIN, body and END lines
 * arrive as separate lines is redacted whole.
 */
export function redactLines(lines: readonly string[]): string[] {
  const state = freshState();
  return lines.map((line) => redactWithState(line, state));
}

const SECRET_KEY = new RegExp(`^${SECRET_NAME}$`, "i");

/** True when a key (JSON key, env name, header) names a secret, so its value is hidden whatever it is. */
export function isSecretName(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Redact a JSON-like value: strings by pattern (with line state carried from one string to the next of the
 * same field, in document order, so a key split over log lines is caught), and the whole value of any key that names a
 * secret (`password`, `DB_TOKEN`, `aws_secret_access_key`, ...). Returns a copy; the input is left alone.
 */
export function redactValue<T>(value: T): T {
  return walk(value, 0, new Map(), "") as T;
}

const MAX_DEPTH = 32;

/**
 * Line state is kept per field name: the `text` of one log-line object continues the `text` of the one
 * before it, while the `stream` beside it does not interrupt that.
 */
function walk(value: unknown, depth: number, states: Map<string, LineState>, field: string): unknown {
  if (typeof value === "string") {
    let state = states.get(field);
    if (!state) states.set(field, (state = freshState()));
    return redactWithState(value, state);
  }
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, states, field));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      isSecretName(key) && typeof v === "string" && v !== "" ? REDACTED : walk(v, depth + 1, states, key);
  }
  return out;
}
