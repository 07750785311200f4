import { pino, type Logger } from "pino";
import { redactText, redactValue } from "./redact.ts";

export type { Logger };

/** Fields never written to logs: secrets, and model/tool payloads unless asked for. */
const REDACT = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "password",
  "*.password",
  "prompt",
  "*.prompt",
  "messages",
  "*.messages",
];

/**
 * Root logger. Child loggers per module: `logger.child({ module: "server" })`. Besides the fields above, every
 * message and field value passes the secret patterns, so an error quoting a URL with a password or an API
 * body with a token is logged redacted.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      redact: { paths: REDACT, censor: "[redacted]" },
      base: undefined,
      formatters: { log: redactFields },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === "string" ? redactText(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    options.destination ?? process.stderr,
  );
}

/** A logger that writes nothing (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Log fields through the secret patterns; errors become what pino's serializer shows, redacted. */
function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    plain[key] =
      value instanceof Error
        ? { type: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) }
        : value;
  }
  return redactValue(plain);
}
