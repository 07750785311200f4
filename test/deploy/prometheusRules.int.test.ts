import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { rulesOf, type PromRule } from "../helpers/promtool.ts";
import { resolveTarget } from "../../agent/targeting/resolveTarget.ts";
import { policySchema } from "../../agent/policy/schema.ts";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("../../deploy/prometheus/", import.meta.url));
const PROFILES = ["aegisops-kubernetes", "aegisops-kubernetes-fast"] as const;

type Rule = PromRule;

function rules(profile: (typeof PROFILES)[number]): Rule[] {
  return rulesOf(`${dir}rules/${profile}.yml`);
}
const alerts = (p: (typeof PROFILES)[number]) => rules(p).filter((r) => r.alert);

/** The 12 failure scenarios of issue 5 (canonical family ids, DESIGN §3) and the alert that shows each. */
const FAMILIES: Record<string, string> = {
  crashloop: "KubePodCrashLooping",
  http_5xx: "HTTPServerErrorsHigh",
  memory_leak: "ContainerMemoryHeadingForLimit",
  latency_p95: "HTTPLatencyP95High",
  node_not_ready: "KubeNodeNotReady",
  disk_pressure: "KubeNodeDiskPressure",
  db_latency: "DatabaseReadLatencyHigh",
  packet_loss: "NodeTCPRetransmitsHigh",
  traffic_spike: "HTTPTrafficSurge",
  kafka_lag: "KafkaConsumerLagGrowing",
  queue_depth: "QueueDepthGrowing",
  upstream_throttling: "UpstreamRequestsThrottled",
};

/** The labels each alert keeps from its expression (its `by` clause), so AegisOps can find the target. */
const ROUTING: Record<string, string[]> = {
  KubePodCrashLooping: ["namespace", "deployment"],
  HTTPServerErrorsHigh: ["namespace", "deployment"],
  ContainerMemoryHeadingForLimit: ["namespace", "deployment"],
  HTTPLatencyP95High: ["namespace", "deployment"],
  HTTPTrafficSurge: ["namespace", "deployment"],
  KubeNodeNotReady: ["node"],
  KubeNodeDiskPressure: ["node"],
  NodeTCPRetransmitsHigh: ["node"],
  DatabaseReadLatencyHigh: ["service"],
  KafkaConsumerLagGrowing: ["consumergroup"],
  QueueDepthGrowing: ["queue"],
  UpstreamRequestsThrottled: ["namespace", "service"],
};

describe("deploy/prometheus Kubernetes alerting rules", () => {
  it("pass promtool check rules and the promtool unit tests of both profiles", async () => {
    const { stdout } = await run("bash", [`${dir}check-rules.sh`], { timeout: 120_000 });
    for (const p of PROFILES) {
      expect(stdout).toContain(`check rules rules/${p}.yml`);
      expect(stdout).toContain(`test rules tests/${p}.test.yml`);
    }
    expect(stdout).toContain("check-rules: OK");
  });

  it("have one alert for each of the 12 failure scenarios, in both profiles, each unit-tested", () => {
    expect(Object.keys(FAMILIES)).toHaveLength(12);
    const tests = readFileSync(`${dir}tests/aegisops-kubernetes.test.yml`, "utf8");
    for (const p of PROFILES) {
      const names = alerts(p).map((r) => r.alert);
      expect(new Set(names).size, "one rule per alert name").toBe(names.length);
      expect([...names].sort()).toEqual(Object.values(FAMILIES).sort());
    }
    for (const name of Object.values(FAMILIES)) expect(tests).toContain(`alertname: ${name}`);
  });

  it("name symptoms, never the fix or the family AegisOps is meant to diagnose", () => {
    const fixes = /rollback|restart|scale|drain|cordon|failover|reroute|ratelimit|rate_limit|consumers|leak/i;
    for (const r of alerts("aegisops-kubernetes")) {
      expect(r.alert, r.alert).not.toMatch(fixes);
      expect(Object.keys(r.labels ?? {}), r.alert).toEqual(["severity"]);
    }
  });

  it.each(PROFILES)("%s: every alert has a severity, a summary, a description and its runbook", (p) => {
    const runbooks = new Set(Object.keys(FAMILIES).map((f) => `runbooks/${f}.md`));
    for (const r of alerts(p)) {
      expect(r.labels?.severity, r.alert).toMatch(/^(critical|warning)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      const runbook = r.annotations?.runbook_url ?? "";
      expect(runbooks.has(runbook), `${r.alert}: ${runbook}`).toBe(true);
      readFileSync(new URL(`../../${runbook}`, import.meta.url));
      const family = Object.entries(FAMILIES).find(([, a]) => a === r.alert)![0];
      expect(runbook, r.alert).toBe(`runbooks/${family}.md`);
    }
  });

  it("fire with the labels AegisOps routes on: each alert, as the unit tests see it fire, resolves to a Kubernetes target", () => {
    const policy = policySchema.parse({
      services: {
        "orders-db": { target: { namespace: "shop", deployment: "orders-db-primary" } },
        orders: { target: { namespace: "shop", deployment: "orders-consumer" } },
        emails: { target: { namespace: "shop", deployment: "email-worker" } },
        web: { target: { namespace: "shop", deployment: "web" } },
      },
    });
    const doc = parse(readFileSync(`${dir}tests/aegisops-kubernetes.test.yml`, "utf8")) as {
      tests: Array<{
        alert_rule_test?: Array<{
          alertname: string;
          exp_alerts: Array<{ exp_labels: Record<string, string> }>;
        }>;
      }>;
    };
    const fired = doc.tests.flatMap((t) =>
      (t.alert_rule_test ?? []).flatMap((c) =>
        c.exp_alerts.map((a) => ({ alertname: c.alertname, ...a.exp_labels })),
      ),
    );
    for (const name of Object.values(FAMILIES)) {
      const seen = fired.filter((a) => a.alertname === name);
      expect(seen.length, name).toBeGreaterThan(0);
      for (const labels of seen) {
        for (const l of ROUTING[name]!) expect(labels, name).toHaveProperty(l);
        expect(resolveTarget(labels, policy).kind, name).toMatch(/^k8s_(workload|node)$/);
      }
    }
  });

  it("fast profile is the realistic one with every duration divided by 60 (minutes become seconds)", () => {
    const realistic = rules("aegisops-kubernetes");
    const fast = rules("aegisops-kubernetes-fast");
    for (const r of alerts("aegisops-kubernetes")) expect(r.for, r.alert).toMatch(/^(5|10|15)m$/);
    // Windows, offsets and `for:` in seconds, the 2 h horizon 2 min; nothing else differs.
    const scaled = (expr: string) =>
      expr
        .replace(/\[(\d+)m\]/g, "[$1s]")
        .replace(/offset (\d+)m/g, "offset $1s")
        .replace("2 * 3600", "120");
    expect(fast.map((r) => r.record ?? r.alert)).toEqual(realistic.map((r) => r.record ?? r.alert));
    fast.forEach((r, i) => {
      expect(r.expr, r.record ?? r.alert).toBe(scaled(realistic[i]!.expr));
      expect(r.labels, r.alert).toEqual(realistic[i]!.labels);
      expect(r.for, r.alert).toBe(realistic[i]!.for?.replace(/m$/, "s"));
    });
  });
});
