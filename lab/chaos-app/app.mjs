// The chaos lab's target service: a dependency-free HTTP server whose faults can be switched on at run
// time, so every failure family the responder handles can be produced on demand in a real container.
// Runs as PID 1 inside a FROM-scratch image, so it must handle its own signals.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { setImmediate } from "node:timers";

const PORT = Number(process.env.PORT || 8081);
const HOST = "127.0.0.1";
const FAULT_KINDS = ["leak", "cpu", "5xx", "latency", "hang"];
const LEAK_EVERY_MS = 100;
// LEAK_MIB_PER_S sets how fast the leak fault grows (80 MiB/s by default: an OOM within seconds).
const LEAK_MIB_PER_S = Number(process.env.LEAK_MIB_PER_S) > 0 ? Number(process.env.LEAK_MIB_PER_S) : 80;
const LEAK_CHUNK_BYTES = Math.round((LEAK_MIB_PER_S * 1024 * 1024 * LEAK_EVERY_MS) / 1000);
const LATENCY_MS = 1500;
const CPU_SLICE_MS = 50;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function log(level, message) {
  const line = `${new Date().toISOString()} ${level} ${message}\n`;
  if (level === "INFO") process.stdout.write(line);
  else process.stderr.write(line);
}

// Checked before listening: a bad configuration must fail fast with EX_CONFIG so the engine's restart
// policy turns it into the crash loop an operator would see.
// A bad configuration can also arrive at run time (POST /fault/config): it is written into the
// container's own filesystem, so it survives restarts of this container as an edited config would.
const CONFIG_OVERRIDE = "/app/config.override";
const configError =
  process.env.TARGET_CONFIG_ERROR ||
  (existsSync(CONFIG_OVERRIDE) ? readFileSync(CONFIG_OVERRIDE, "utf8").trim() : "");
if (configError) {
  log("FATAL", `configuration error: ${configError}`);
  process.exit(78);
}

const faults = new Set();
const leaked = [];
let leakTimer = null;
let cpuRunning = false;
const requests = { 200: 0, 500: 0 };
const histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };

function startLeak() {
  if (leakTimer) return;
  leakTimer = setInterval(() => {
    // Filled with data, not just reserved, so the pages are touched and RSS really grows.
    leaked.push(Buffer.alloc(LEAK_CHUNK_BYTES, leaked.length % 251));
  }, LEAK_EVERY_MS);
}

function stopLeak() {
  if (leakTimer) clearInterval(leakTimer);
  leakTimer = null;
  leaked.length = 0;
}

// Burns CPU in slices and yields between them, so the service stays slow but alive.
function cpuSlice() {
  if (!faults.has("cpu")) {
    cpuRunning = false;
    return;
  }
  const until = Date.now() + CPU_SLICE_MS;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  setImmediate(cpuSlice);
}

function setFault(kind) {
  faults.add(kind);
  if (kind === "leak") startLeak();
  if (kind === "cpu" && !cpuRunning) {
    cpuRunning = true;
    setImmediate(cpuSlice);
  }
  log("INFO", `fault enabled: ${kind}`);
}

function clearFaults() {
  faults.clear();
  stopLeak();
  log("INFO", "faults cleared");
}

function observe(code, seconds) {
  requests[code] = (requests[code] ?? 0) + 1;
  histogram.sum += seconds;
  histogram.count += 1;
  BUCKETS.forEach((le, i) => {
    if (seconds <= le) histogram.counts[i] += 1;
  });
}

const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function metricsText() {
  const mem = process.memoryUsage();
  const lines = [
    "# HELP process_resident_memory_bytes Resident memory size in bytes.",
    "# TYPE process_resident_memory_bytes gauge",
    `process_resident_memory_bytes ${mem.rss}`,
    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
    "# TYPE process_cpu_seconds_total counter",
    `process_cpu_seconds_total ${cpuSeconds()}`,
    "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
    "# TYPE process_start_time_seconds gauge",
    `process_start_time_seconds ${START_TIME_SECONDS}`,
    "# HELP target_heap_bytes Memory the app holds: V8 heap in use plus buffers outside it.",
    "# TYPE target_heap_bytes gauge",
    `target_heap_bytes ${mem.heapUsed + mem.external}`,
    "# HELP http_requests_total Requests served, by status code.",
    "# TYPE http_requests_total counter",
    ...Object.entries(requests).map(([code, n]) => `http_requests_total{code="${code}"} ${n}`),
    "# HELP http_request_duration_seconds Request latency.",
    "# TYPE http_request_duration_seconds histogram",
    ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${histogram.counts[i]}`),
    `http_request_duration_seconds_bucket{le="+Inf"} ${histogram.count}`,
    `http_request_duration_seconds_sum ${histogram.sum}`,
    `http_request_duration_seconds_count ${histogram.count}`,
    "# HELP target_fault Whether a fault is switched on (1) or off (0).",
    "# TYPE target_fault gauge",
    ...FAULT_KINDS.map((kind) => `target_fault{kind="${kind}"} ${faults.has(kind) ? 1 : 0}`),
  ];
  return lines.join("\n") + "\n";
}

function send(res, code, body, type = "text/plain; charset=utf-8") {
  res.writeHead(code, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function handleFault(req, res, kind) {
  if (req.method !== "POST") return send(res, 405, "use POST\n");
  if (kind === "config") {
    // Models a config change that takes effect on the next start: the process exits and every
    // restart fails the same way until a person fixes the configuration.
    writeFileSync(CONFIG_OVERRIDE, "missing required setting DATABASE_URL\n");
    log("INFO", "configuration changed: DATABASE_URL removed; restarting to apply it");
    send(res, 200, "fault config enabled\n");
    setTimeout(() => process.exit(0), 50);
    return;
  }
  if (kind === "clear") {
    clearFaults();
    return send(res, 200, "faults cleared\n");
  }
  if (!FAULT_KINDS.includes(kind)) return send(res, 404, `unknown fault ${kind}\n`);
  setFault(kind);
  return send(res, 200, `fault ${kind} enabled\n`);
}

function handleApp(req, res, path) {
  const started = process.hrtime.bigint();
  // A hung service accepts the connection and never answers; the socket stays open until the client
  // gives up, which is what a probe of a deadlocked process sees.
  if (faults.has("hang")) return;
  const finish = () => {
    if (faults.has("5xx")) {
      log("ERROR", "upstream call failed: 500");
      send(res, 500, "internal error\n");
      observe(500, Number(process.hrtime.bigint() - started) / 1e9);
      return;
    }
    if (path === "/health") send(res, 200, "ok\n");
    else if (path === "/") send(res, 200, "hello from aegis-target\n");
    else return send(res, 404, "not found\n");
    observe(200, Number(process.hrtime.bigint() - started) / 1e9);
  };
  if (faults.has("latency")) setTimeout(finish, LATENCY_MS);
  else finish();
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (path.startsWith("/fault/")) return handleFault(req, res, path.slice("/fault/".length));
  // Metrics stay available under every fault except a hang, so scrapes show the fault's effect.
  if (path === "/metrics" && !faults.has("hang"))
    return send(res, 200, metricsText(), "text/plain; version=0.0.4");
  return handleApp(req, res, path);
});
server.keepAliveTimeout = 5000;

function shutdown(signal) {
  // A hung process does not get to shut down cleanly: only SIGKILL ends it, as in production.
  if (faults.has("hang")) {
    log("INFO", `${signal} ignored: process is hung`);
    return;
  }
  log("INFO", `${signal} received, shutting down`);
  clearFaults();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

// Faults named in TARGET_FAULTS come back after every restart: a cause a restart cannot remove (a bad
// build, a broken dependency), for testing what happens when the first fix does not work.
for (const kind of (process.env.TARGET_FAULTS ?? "")
  .split(",")
  .map((k) => k.trim())
  .filter(Boolean)) {
  if (FAULT_KINDS.includes(kind)) setFault(kind);
  else log("WARN", `ignoring unknown fault in TARGET_FAULTS: ${kind}`);
}

server.listen(PORT, HOST, () => log("INFO", `listening on ${HOST}:${PORT}`));
