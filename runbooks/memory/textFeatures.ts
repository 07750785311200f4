/**
 * Text analysis shared by the local embedder and the full-text query: tokens, light stemming and a small
 * lexicon of operations vocabulary, so that "out of memory", "OOMKilled" and "exit 137" meet.
 */

const STOPWORDS = new Set(
  (
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its " +
    "me my no not of on or our so some than that the their them then there these they this to too up us was " +
    "we were what when where which while who why will with would you your just also about after again all any " +
    "each more most other over own same such only very via per within without keep keeps kept get gets got " +
    "still seems seem look looks like since now one two its it's im ive we're dont doesnt"
  ).split(" "),
);

/**
 * Concept groups: any member (a stemmed token, or a two-token phrase joined by a space) adds the group's
 * concept feature. Written from operations vocabulary (kube-state-metrics, node_exporter, HTTP, Kafka,
 * Linux exit codes), not from any query set.
 */
const CONCEPTS: Record<string, string[]> = {
  crash: [
    "crash",
    "crashloop",
    "crashloopbackoff",
    "crashloopback",
    "backoff",
    "restart count",
    "restarting",
    "restartcount",
    "boot loop",
    "bootloop",
    "die",
    "died",
    "exited",
    "exit code",
    "flapping",
  ],
  config: [
    "config",
    "configuration",
    "env",
    "environment",
    "variable",
    "setting",
    "secret",
    "configmap",
    "createcontainerconfigerror",
    "ex_config",
    "78",
    "missing",
  ],
  oom: [
    "oom",
    "oomkilled",
    "oomkill",
    "oom_kill",
    "137",
    "out of memory",
    "memory limit",
    "killed process",
    "sigkill",
    "cgroup",
  ],
  memory: ["memory", "heap", "rss", "working set", "working_set", "mem", "ram", "gc", "garbage", "leak"],
  growth: ["leak", "grow", "growth", "increas", "climb", "creep", "rising", "ramp", "trend", "steadily"],
  http_error: [
    "5xx",
    "500",
    "502",
    "503",
    "504",
    "internal server error",
    "bad gateway",
    "service unavailable",
    "error rate",
    "errors",
    "status_code",
  ],
  latency: [
    "latency",
    "slow",
    "p95",
    "p99",
    "percentile",
    "response time",
    "duration",
    "histogram_quantile",
    "sluggish",
    "seconds_bucket",
  ],
  hang: [
    "hang",
    "hung",
    "unresponsive",
    "stuck",
    "frozen",
    "freeze",
    "deadlock",
    "not responding",
    "liveness",
    "timeout",
    "timed out",
    "health check",
    "healthcheck",
  ],
  node: ["node", "kubelet", "notready", "not ready", "unknown", "unreachable", "worker", "host", "instance"],
  disk: [
    "disk",
    "filesystem",
    "volume",
    "inode",
    "diskpressure",
    "ephemeral",
    "no space",
    "space left",
    "enospc",
    "full",
    "pvc",
    "storage",
  ],
  database: [
    "database",
    "db",
    "postgres",
    "postgresql",
    "mysql",
    "query",
    "queries",
    "sql",
    "replica",
    "replication",
    "primary",
    "lock",
    "pg",
    "connection pool",
  ],
  network: [
    "packet",
    "packets",
    "drop",
    "dropped",
    "retransmit",
    "retransmission",
    "network",
    "nic",
    "tcp",
    "connection reset",
    "econnreset",
    "unreachable",
    "dns",
    "interface",
  ],
  traffic: [
    "traffic",
    "spike",
    "surge",
    "burst",
    "load",
    "rps",
    "qps",
    "requests per second",
    "capacity",
    "satur",
    "hpa",
    "autoscal",
    "maxreplicas",
    "cpu",
  ],
  kafka: ["kafka", "consumer", "lag", "partition", "offset", "topic", "consumergroup", "consumer group"],
  queue: [
    "queue",
    "backlog",
    "rabbitmq",
    "sqs",
    "messages",
    "depth",
    "worker",
    "jobs",
    "job",
    "celery",
    "enqueued",
    "ready messages",
  ],
  throttle: [
    "429",
    "throttl",
    "rate limit",
    "ratelimit",
    "rate_limit",
    "rate limited",
    "quota",
    "too many requests",
    "retry-after",
    "upstream",
    "third party",
    "provider",
  ],
  rollout: ["rollout", "deploy", "deployment", "revision", "release", "image", "version", "new version"],
};

const PHRASE_CONCEPTS = new Map<string, string[]>();
const TOKEN_CONCEPTS = new Map<string, string[]>();
for (const [concept, members] of Object.entries(CONCEPTS)) {
  for (const raw of members) {
    const words = tokenize(raw);
    const key = words.join(" ");
    const target = words.length > 1 ? PHRASE_CONCEPTS : TOKEN_CONCEPTS;
    target.set(key, [...(target.get(key) ?? []), concept]);
  }
}

/** True for English filler words that carry no meaning for retrieval. */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Lower-case word tokens: camelCase and snake_case split, numbers kept ("5xx", "137"), stemmed lightly. */
export function tokenize(text: string): string[] {
  const spaced = text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();
  const out: string[] = [];
  for (const m of spaced.matchAll(/[a-z0-9]+/g)) {
    const w = m[0];
    if (w.length > 24) continue;
    out.push(stem(w));
  }
  return out;
}

/** Content tokens: tokens less stop words and single letters. */
export function contentTokens(text: string): string[] {
  return tokenize(text).filter((t) => t.length > 1 && !STOPWORDS.has(t));
}

/** Whole words as they appear (lower case, `_` kept), so `oom_killed` and `CrashLoopBackOff` also match whole. */
export function wholeWords(text: string): string[] {
  return [...text.toLowerCase().matchAll(/[a-z0-9][a-z0-9_.-]*[a-z0-9]/g)]
    .map((m) => m[0])
    .filter((w) => w.length > 3 && w.length <= 40 && /[_a-z]/.test(w));
}

/** Light suffix stripping: enough for "crashing"/"crashes"/"crashed" to meet "crash". */
export function stem(w: string): string {
  if (w.length <= 4 || /\d/.test(w)) return w;
  for (const suffix of [
    "ations",
    "ation",
    "ingly",
    "ings",
    "ing",
    "edly",
    "ies",
    "ied",
    "es",
    "ed",
    "ly",
    "s",
  ]) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3) {
      const base = w.slice(0, -suffix.length);
      if (suffix === "ies" || suffix === "ied") return base + "y";
      return base;
    }
  }
  return w;
}

const conceptCache = new Map<string, readonly string[]>();

function tokenConcepts(t: string): readonly string[] {
  let hit = conceptCache.get(t);
  if (hit) return hit;
  const found = [...(TOKEN_CONCEPTS.get(t) ?? [])];
  if (found.length === 0) {
    for (const [key, concepts] of TOKEN_CONCEPTS) {
      if (key.length >= 5 && t.length > key.length && t.startsWith(key)) found.push(...concepts);
    }
  }
  hit = found;
  if (conceptCache.size < 100_000) conceptCache.set(t, hit);
  return hit;
}

/** Concept features present in a token list (phrases of two tokens and prefixes like "throttl" count). */
export function conceptsOf(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    out.push(...tokenConcepts(t));
    const next = tokens[i + 1];
    if (next !== undefined) {
      const phrase = PHRASE_CONCEPTS.get(`${t} ${next}`);
      if (phrase) out.push(...phrase);
    }
  }
  return out;
}
