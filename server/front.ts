import { Agent, request, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import type { Policy } from "../agent/policy/schema.ts";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import { PEER_ADDRESS_HEADER } from "./clientAddress.ts";
import { groupCommit } from "./groupCommit.ts";
import { METRICS_CONTENT_TYPE, registerServerMetrics, type MetricsRegistry } from "./metrics.ts";
import { createWebhook, isWebhookRequest } from "./webhook.ts";

/** The agent process, as the front sees it. */
export interface AgentBackend {
  socketPath: string;
  isReady(): boolean;
  enqueue(ids: string[]): void;
}

export interface FrontDeps {
  config: Readonly<Config>;
  policy: Policy;
  /** The repository the webhook writes through. */
  incidents: IncidentRepository;
  agent: AgentBackend;
  /** The front's own metrics (the webhook's); merged into the agent's `/metrics`. No default metrics. */
  metrics: MetricsRegistry;
  logger: Logger;
}

/**
 * The HTTP front of `aegis serve` when the agent runs in its own process: `POST /alerts` is stored here, on
 * an event loop that runs nothing else, and the incidents are handed to the agent process; every other request
 * (API, dashboard, Slack, health) is proxied to the agent process, which serves them as a single process would.
 * While the agent process restarts, alerts are still accepted and other requests get a 503.
 */
export function createFront(deps: FrontDeps): RequestListener {
  const log = deps.logger.child({ module: "server" });
  const webhook = createWebhook({
    webhookToken: deps.config.webhookToken,
    policy: deps.policy,
    incidents: groupCommit(deps.incidents),
    onAccepted: (ids) => deps.agent.enqueue(ids),
    metrics: registerServerMetrics(deps.metrics),
    log,
  });
  const pool = new Agent({ keepAlive: true, maxSockets: 64 });
  const owned = deps.metrics.getMetricsAsArray().map((m) => m.name);

  return (req, res) => {
    if (isWebhookRequest(req)) {
      webhook(req, res);
      return;
    }
    if (!deps.agent.isReady()) {
      unavailable(res, "the agent process is starting or restarting; alerts are still accepted");
      req.resume();
      return;
    }
    const isMetrics = req.method === "GET" && (req.url ?? "").split("?")[0] === "/metrics";
    const headers = { ...req.headers, [PEER_ADDRESS_HEADER]: req.socket.remoteAddress ?? "unknown" };
    const upstream = request(
      { socketPath: deps.agent.socketPath, agent: pool, method: req.method, path: req.url, headers },
      (up) => {
        if (isMetrics && up.statusCode === 200) {
          void mergeMetrics(up, deps.metrics, owned).then(
            (text) => {
              res.writeHead(200, { "Content-Type": METRICS_CONTENT_TYPE });
              res.end(text);
            },
            () => res.destroy(),
          );
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    // A client that goes away (a closed dashboard tab on the live feed) closes its request upstream too.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.on("error", (err) => {
      if (res.headersSent) res.destroy();
      else unavailable(res, `the agent process did not answer: ${err.message}`);
    });
    req.pipe(upstream);
  };
}

/**
 * The agent's exposition with the webhook's families (registered there too, never updated there) replaced by
 * the front's, which counted the requests.
 */
async function mergeMetrics(up: IncomingMessage, front: MetricsRegistry, owned: string[]): Promise<string> {
  let text = "";
  up.setEncoding("utf8");
  for await (const chunk of up) text += chunk as string;
  const isOwned = (line: string) => {
    const name = line.startsWith("# ") ? (line.split(" ")[2] ?? "") : (line.split(/[{ ]/)[0] ?? "");
    return owned.some(
      (o) => name === o || name === `${o}_bucket` || name === `${o}_sum` || name === `${o}_count`,
    );
  };
  const kept = text.split("\n").filter((line) => line !== "" && !isOwned(line));
  return `${kept.join("\n")}\n${await front.metrics()}`;
}

function unavailable(res: ServerResponse, message: string): void {
  const body = JSON.stringify({ error: "unavailable", message });
  res.writeHead(503, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(body)),
    "Retry-After": "1",
  });
  res.end(body);
}
