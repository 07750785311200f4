import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One Web API call as the fake received it: method name, bearer token and decoded arguments. */
export interface SlackCall {
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
}

/** A message as the fake channel holds it after chat.postMessage / chat.update. */
export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  text: string;
  blocks: unknown[];
}

/**
 * A local Slack Web API (https://api.slack.com/web): `POST /api/<method>` with a bearer token and
 * form-encoded or JSON arguments (nested values such as `blocks` are JSON strings in a form body, as
 * @slack/web-api sends them), answering `{ ok: true, ... }` or `{ ok: false, error }` with HTTP 200 like
 * Slack. It also serves response_url posts (`POST /respond/<id>`). Everything received is recorded.
 */
export interface FakeSlack {
  /** Base URL for SLACK_API_URL (ends with `/api/`). */
  apiUrl: string;
  /** A response_url that records what Bolt's respond() posts. */
  responseUrl: string;
  calls: SlackCall[];
  responses: Array<Record<string, unknown>>;
  /** Messages by `channel:ts`, with chat.update applied in place. */
  messages: Map<string, FakeMessage>;
  /** Members of each user group (usergroups.users.list). */
  userGroups: Record<string, string[]>;
  callsTo(method: string): SlackCall[];
  close(): Promise<void>;
}

export async function startFakeSlack(opts: { token: string }): Promise<FakeSlack> {
  let seq = 0;
  const calls: SlackCall[] = [];
  const responses: Array<Record<string, unknown>> = [];
  const messages = new Map<string, FakeMessage>();
  const userGroups: Record<string, string[]> = {};

  const handle = (method: string, token: string | undefined, args: Record<string, unknown>) => {
    if (token !== opts.token) return { ok: false, error: token ? "invalid_auth" : "not_authed" };
    const str = (k: string) => (typeof args[k] === "string" ? (args[k] as string) : undefined);
    const blocksOf = () => {
      const b = args.blocks;
      return typeof b === "string" ? (JSON.parse(b) as unknown[]) : Array.isArray(b) ? b : [];
    };
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://fake.slack.com/",
          team: "Fake",
          user: "aegis",
          user_id: "UAEGIS",
          bot_id: "BAEGIS",
          team_id: "T0001",
        };
      case "chat.postMessage": {
        const channel = str("channel");
        if (!channel) return { ok: false, error: "channel_not_found" };
        if (!str("text") && blocksOf().length === 0) return { ok: false, error: "no_text" };
        const ts = `1700000000.${String(++seq).padStart(6, "0")}`;
        const m: FakeMessage = {
          channel,
          ts,
          threadTs: str("thread_ts"),
          text: str("text") ?? "",
          blocks: blocksOf(),
        };
        messages.set(`${channel}:${ts}`, m);
        return { ok: true, channel, ts, message: { type: "message", text: m.text, ts, blocks: m.blocks } };
      }
      case "chat.update": {
        const channel = str("channel") ?? "";
        const ts = str("ts") ?? "";
        const m = messages.get(`${channel}:${ts}`);
        if (!m) return { ok: false, error: "message_not_found" };
        m.text = str("text") ?? m.text;
        m.blocks = blocksOf();
        return { ok: true, channel, ts, text: m.text };
      }
      case "chat.postEphemeral": {
        if (!str("channel") || !str("user")) return { ok: false, error: "invalid_arguments" };
        return { ok: true, message_ts: `1700000000.${String(++seq).padStart(6, "0")}` };
      }
      case "usergroups.users.list": {
        const members = userGroups[str("usergroup") ?? ""];
        return members ? { ok: true, users: members } : { ok: false, error: "no_such_subteam" };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? "/", "http://x");
      const reply = (body: unknown) => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "POST" && url.pathname.startsWith("/respond/")) {
        responses.push(JSON.parse(raw || "{}") as Record<string, unknown>);
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok");
        return;
      }
      if (req.method !== "POST" || !url.pathname.startsWith("/api/")) {
        res.writeHead(404).end();
        return;
      }
      const method = url.pathname.slice("/api/".length);
      const type = String(req.headers["content-type"] ?? "");
      const args: Record<string, unknown> = type.includes("application/json")
        ? (JSON.parse(raw || "{}") as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw));
      const auth = String(req.headers.authorization ?? "");
      const token = auth.startsWith("Bearer ")
        ? auth.slice(7)
        : typeof args.token === "string"
          ? args.token
          : undefined;
      delete args.token;
      calls.push({ method, token, args });
      reply(handle(method, token, args));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}/api/`,
    responseUrl: `${base}/respond/1`,
    calls,
    responses,
    messages,
    userGroups,
    callsTo: (method) => calls.filter((c) => c.method === method),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The headers Slack signs a request with (v0 HMAC-SHA256 of `v0:<timestamp>:<body>`). */
export function slackSignature(secret: string, body: string, timestampSec = Math.floor(Date.now() / 1000)) {
  const sig = createHmac("sha256", secret).update(`v0:${timestampSec}:${body}`).digest("hex");
  return { "x-slack-request-timestamp": String(timestampSec), "x-slack-signature": `v0=${sig}` };
}

/** POST a signed request to `/slack/events` exactly as Slack does (form body for interactions and commands). */
export async function postToSlackEndpoint(
  baseUrl: string,
  secret: string,
  body: string,
  opts: { contentType?: string; timestampSec?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const headers = {
    "content-type": opts.contentType ?? "application/x-www-form-urlencoded",
    ...slackSignature(secret, body, opts.timestampSec),
    ...opts.headers,
  };
  const res = await fetch(`${baseUrl}/slack/events`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text(), headers: { ...Object.fromEntries(res.headers) } };
}

/** A block_actions payload as Slack sends it when someone clicks a button of a message. */
export function blockActionPayload(opts: {
  userId: string;
  userName?: string;
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  responseUrl: string;
}): string {
  const payload = {
    type: "block_actions",
    user: {
      id: opts.userId,
      username: opts.userName ?? opts.userId.toLowerCase(),
      name: opts.userName ?? opts.userId.toLowerCase(),
      team_id: "T0001",
    },
    api_app_id: "A0001",
    token: "legacy-verification-token",
    container: { type: "message", message_ts: opts.messageTs, channel_id: opts.channel, is_ephemeral: false },
    trigger_id: "1111.2222.3333",
    team: { id: "T0001", domain: "fake" },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: opts.channel, name: "incidents" },
    message: { type: "message", ts: opts.messageTs, text: "", blocks: [] },
    response_url: opts.responseUrl,
    actions: [
      {
        action_id: opts.actionId,
        block_id: "decision",
        value: opts.value,
        type: "button",
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A slash command body as Slack posts it (application/x-www-form-urlencoded). */
export function slashCommandBody(opts: {
  userId: string;
  text: string;
  channel?: string;
  responseUrl: string;
}): string {
  return new URLSearchParams({
    token: "legacy-verification-token",
    team_id: "T0001",
    team_domain: "fake",
    channel_id: opts.channel ?? "C0INCIDENT",
    channel_name: "incidents",
    user_id: opts.userId,
    user_name: opts.userId.toLowerCase(),
    command: "/aegis",
    text: opts.text,
    api_app_id: "A0001",
    is_enterprise_install: "false",
    response_url: opts.responseUrl,
    trigger_id: "1111.2222.3333",
  }).toString();
}
