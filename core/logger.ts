import { pino, type Logger } from "pino";

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

/** Root logger. Child loggers per module: `logger.child({ module: "server" })`. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: options.level ?? "info", redact: { paths: REDACT, censor: "[redacted]" }, base: undefined },
    options.destination ?? process.stderr,
  );
}

/** A logger that writes nothing (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
