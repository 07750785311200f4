import { App, ExpressReceiver, LogLevel, type Logger as BoltLogger, type webApi } from "@slack/bolt";
import type { RequestHandler, Router } from "express";
import { AegisError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { replayGuard } from "./replayGuard.ts";

/** The path Slack posts events, interactions and slash commands to (the app manifest's URLs). */
export const SLACK_EVENTS_PATH = "/slack/events";

export interface SlackAppOptions {
  botToken: string;
  /** HTTP mode: Slack signs every request with it; Bolt answers a bad or stale signature 401. */
  signingSecret: string | undefined;
  /** Socket Mode when set (no public URL needed). */
  appToken: string | undefined;
  /** Web API base URL (Slack's by default; a local server in tests). */
  apiUrl: string;
  logger: Logger;
}

/** The Bolt app, its Web API client, and (HTTP mode) the express handlers to mount on the server. */
export interface SlackApp {
  bolt: App;
  client: webApi.WebClient;
  /** Mount on the express app (HTTP mode); undefined in Socket Mode. */
  handlers: RequestHandler[] | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Build the Bolt app. HTTP mode mounts Bolt's ExpressReceiver router on AegisOps's own server at
 * `/slack/events` (Bolt verifies the signature; a signature seen before is refused too). Socket Mode
 * connects out to Slack instead when an app token is set. Nothing connects here: start() does.
 */
export function createSlackApp(opts: SlackAppOptions): SlackApp {
  const log = opts.logger.child({ module: "slack" });
  const logger = boltLogger(log);
  const clientOptions: webApi.WebClientOptions = {
    slackApiUrl: opts.apiUrl,
    // Bolt's default retries for half an hour; an approval request that cannot be posted should say so now.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    timeout: 10_000,
  };
  // No auth.test at start-up: the bot's ids are looked up on the first event, so a Slack outage never
  // keeps AegisOps from starting.
  const common = { token: opts.botToken, logger, clientOptions, tokenVerificationEnabled: false };
  if (opts.appToken) {
    const bolt = new App({ ...common, appToken: opts.appToken, socketMode: true });
    return {
      bolt,
      client: bolt.client,
      handlers: undefined,
      start: async () => {
        await bolt.start();
      },
      stop: async () => {
        await bolt.stop();
      },
    };
  }
  if (!opts.signingSecret) {
    throw new AegisError(
      "config_invalid",
      "SLACK_BOT_TOKEN is set without SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)",
    );
  }
  const receiver = new ExpressReceiver({
    signingSecret: opts.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    logger,
    // Acknowledge as soon as a handler calls ack(): Slack gives up after 3 seconds.
    processBeforeResponse: false,
  });
  const bolt = new App({ ...common, receiver });
  const router: Router = receiver.router;
  return {
    bolt,
    client: bolt.client,
    handlers: [replayGuard(SLACK_EVENTS_PATH), router],
    start: async () => undefined,
    stop: async () => undefined,
  };
}

/** Bolt's logger interface over our pino logger. */
function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const line = (args: unknown[]) =>
    args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
  return {
    debug: (...a: unknown[]) => log.debug(line(a)),
    info: (...a: unknown[]) => log.info(line(a)),
    warn: (...a: unknown[]) => log.warn(line(a)),
    error: (...a: unknown[]) => log.error(line(a)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
