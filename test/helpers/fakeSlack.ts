import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

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
  /** Socket Mode: envelopes the app acknowledged, by envelope id, with the ack's payload. */
  acks: Map<string, unknown>;
  /** Socket Mode: push an envelope to the connected app (resolves once it is sent). */
  pushEnvelope(type: "interactive" | "slash_commands" | "events_api", payload: unknown): Promise<string>;
  /** Socket Mode: resolves when an app has connected and been greeted. */
  connected(): Promise<void>;
  callsTo(method: string): SlackCall[];
  close(): Promise<void>;
}

export async function startFakeSlack(opts: { token: string; appToken?: string }): Promise<FakeSlack> {
  let seq = 0;
  const calls: SlackCall[] = [];
  const responses: Array<Record<string, unknown>> = [];
  const messages = new Map<string, FakeMessage>();
  const userGroups: Record<string, string[]> = {};

  const acks = new Map<string, unknown>();
  let socket: WebSocket | undefined;
  let greeted: () => void = () => undefined;
  const connectedOnce = new Promise<void>((resolve) => (greeted = resolve));
  let base = "";
  const handle = (method: string, token: string | undefined, args: Record<string, unknown>) => {
    if (method === "apps.connections.open") {
      // Socket Mode: only the app-level token may open a connection.
      if (!opts.appToken || token !== opts.appToken) return { ok: false, error: "invalid_auth" };
      return { ok: true, url: `${base.replace("http", "ws")}/link/?ticket=fake-ticket` };
    }
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
      case "views.open": {
        if (!str("trigger_id")) return { ok: false, error: "invalid_trigger_id" };
        const view =
          typeof args.view === "string" ? (JSON.parse(args.view) as Record<string, unknown>) : args.view;
        if (!view || typeof view !== "object") return { ok: false, error: "invalid_arguments" };
        return { ok: true, view: { id: `V${String(++seq).padStart(8, "0")}`, ...(view as object) } };
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
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, sock, head) => {
    if (!req.url?.startsWith("/link/")) return sock.destroy();
    wss.handleUpgrade(req, sock, head, (ws) => {
      socket = ws;
      ws.on("message", (data: Buffer) => {
        const msg = JSON.parse(data.toString("utf8")) as { envelope_id?: string; payload?: unknown };
        if (msg.envelope_id) acks.set(msg.envelope_id, msg.payload ?? null);
      });
      ws.send(
        JSON.stringify({
          type: "hello",
          num_connections: 1,
          connection_info: { app_id: "A0001" },
          debug_info: { host: "fake" },
        }),
      );
      greeted();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let envelopes = 0;
  return {
    apiUrl: `${base}/api/`,
    responseUrl: `${base}/respond/1`,
    calls,
    responses,
    messages,
    userGroups,
    acks,
    connected: () => connectedOnce,
    pushEnvelope: async (type, payload) => {
      if (!socket) throw new Error("no Socket Mode connection");
      const id = `env-${++envelopes}`;
      socket.send(
        JSON.stringify({
          envelope_id: id,
          type,
          payload,
          accepts_response_payload: type !== "events_api",
          retry_attempt: 0,
          retry_reason: "",
        }),
      );
      return id;
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
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
export function blockActionPayload(opts: BlockActionOptions): string {
  return `payload=${encodeURIComponent(JSON.stringify(blockAction(opts)))}`;
}

interface BlockActionOptions {
  userId: string;
  userName?: string;
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  responseUrl: string;
}

/** A block_actions payload object (Socket Mode sends it as the envelope's payload). */
export function blockAction(opts: BlockActionOptions): Record<string, unknown> {
  return blockActionObject(opts);
}

function blockActionObject(opts: BlockActionOptions): Record<string, unknown> {
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
  return payload;
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

/** A view_submission payload as Slack sends it when someone submits a modal (one input per block). */
export function viewSubmissionPayload(opts: {
  userId: string;
  callbackId: string;
  privateMetadata: string;
  values: Record<string, Record<string, string>>;
}): string {
  const values = Object.fromEntries(
    Object.entries(opts.values).map(([block, inputs]) => [
      block,
      Object.fromEntries(
        Object.entries(inputs).map(([id, value]) => [id, { type: "plain_text_input", value }]),
      ),
    ]),
  );
  const payload = {
    type: "view_submission",
    team: { id: "T0001", domain: "fake" },
    user: {
      id: opts.userId,
      username: opts.userId.toLowerCase(),
      name: opts.userId.toLowerCase(),
      team_id: "T0001",
    },
    api_app_id: "A0001",
    token: "legacy-verification-token",
    trigger_id: "4444.5555.6666",
    view: {
      id: "V00000001",
      team_id: "T0001",
      type: "modal",
      callback_id: opts.callbackId,
      private_metadata: opts.privateMetadata,
      state: { values },
      hash: "1700000000.abcdef",
      blocks: [],
    },
    response_urls: [],
    is_enterprise_install: false,
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
