/**
 * Secret redaction for anything that leaves the process (model requests, logs, cassettes). Pure functions:
 * patterns over text, plus a walk over JSON-like values that also hides the values of secret-looking keys.
 */

/** What a redacted secret is replaced with. */
export const REDACTED = "[redacted]";

/** Key names whose values are secrets wherever they appear (env dumps, JSON, query strings, DSNs). */
// `token` but not `tokens`: `max_tokens=1024` is a count, not a secret.
const SECRET_NAME =
  "[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token(?!s)|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|session[_-]?id)[A-Za-z0-9_.-]*";

interface Rule {
  pattern: RegExp;
  replace: string;
}

// Order matters: whole blocks (private keys) before the line-level patterns that could cut them up.
const RULES: Rule[] = [
  {
    pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    replace: `-----BEGIN $1PRIVATE KEY----- ${REDACTED} -----END $1PRIVATE KEY-----`,
  },
  // JSON Web Tokens: three base64url parts, the first two JSON objects ("eyJ" = '{"').
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: REDACTED },
  // Authorization headers and the like.
  { pattern: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1 ${REDACTED}` },
  // Credentials in URLs and connection strings: scheme://user:password@host.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, replace: `$1${REDACTED}@` },
  // AWS access key ids (the secret key is caught by its name, below).
  { pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  // Well-known token shapes: OpenAI, GitHub, Slack, Google API keys.
  { pattern: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g, replace: REDACTED },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}/g, replace: REDACTED },
  { pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: REDACTED },
  // name=value, name: value, "name": "value", ?name=value&, Password=value; (env dumps, configs, DSNs).
  {
    pattern: new RegExp(`\\b(${SECRET_NAME})(["']?\\s*[:=]\\s*["']?)([^\\s"',;&}]+)`, "gi"),
    replace: `$1$2${REDACTED}`,
  },
];

const SECRET_KEY = new RegExp(`^${SECRET_NAME}$`, "i");

/** Replace every secret this module recognises in `text`. */
export function redactText(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace);
  // A value already redacted by an earlier rule stays one marker, not "[redacted]]".
  return out.replaceAll(`${REDACTED}]`, REDACTED);
}

/**
 * Redact a JSON-like value: strings by pattern, and the whole value of any key that names a secret
 * (`password`, `DB_TOKEN`, `aws_secret_access_key`, ...). Returns a copy; the input is left alone.
 */
export function redactValue<T>(value: T): T {
  return walk(value, 0) as T;
}

const MAX_DEPTH = 32;

function walk(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && typeof v === "string" && v !== "" ? REDACTED : walk(v, depth + 1);
  }
  return out;
}
