import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config.ts";

describe("configuration from the environment", () => {
  it("defaults to advise mode, the heuristic planner and loopback", () => {
    const c = loadConfig({});
    expect(c.mode).toBe("advise");
    expect(c.planner).toBe("heuristic");
    expect(c.host).toBe("127.0.0.1");
    expect(c.port).toBe(8080);
    expect(c.dbPath).toBe("./data/aegis.db");
    expect(c.dbSynchronous).toBe("full");
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("picks the llm planner when a key is set, unless told otherwise", () => {
    expect(loadConfig({ OPENAI_API_KEY: "sk-x" }).planner).toBe("llm");
    expect(loadConfig({ OPENAI_API_KEY: "sk-x", AEGIS_PLANNER: "heuristic" }).planner).toBe("heuristic");
  });

  it("treats empty values (as in .env.example) as unset", () => {
    const c = loadConfig({ AEGIS_WEBHOOK_TOKEN: "", PROMETHEUS_URL: " " });
    expect(c.webhookToken).toBeUndefined();
    expect(c.prometheusUrl).toBeUndefined();
  });

  it("accepts .env.example as it ships, with the documented defaults", () => {
    const example = parseEnv(readFileSync(new URL("../../.env.example", import.meta.url), "utf8"));
    const c = loadConfig(example);
    expect(c.mode).toBe("advise");
    expect(c.planner).toBe("heuristic");
    expect(c.verifyTimeoutMs).toBe(30_000);
  });

  it("rejects a bad value naming the variable", () => {
    expect(() => loadConfig({ AEGIS_MODE: "yolo" })).toThrow(/AEGIS_MODE/);
    expect(() => loadConfig({ AEGIS_PORT: "99999" })).toThrow(/AEGIS_PORT/);
    expect(() => loadConfig({ AEGIS_DB_SYNCHRONOUS: "off" })).toThrow(/AEGIS_DB_SYNCHRONOUS/);
    expect(loadConfig({ AEGIS_DB_SYNCHRONOUS: "normal" }).dbSynchronous).toBe("normal");
  });

  it("uses SQLite unless a PostgreSQL URL is given, and rejects another scheme", () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    expect(loadConfig({ AEGIS_DATABASE_URL: "postgresql://a:b@db:5432/aegis" }).databaseUrl).toBe(
      "postgresql://a:b@db:5432/aegis",
    );
    expect(() => loadConfig({ AEGIS_DATABASE_URL: "mysql://db/aegis" })).toThrow(/AEGIS_DATABASE_URL/);
    expect(loadConfig({ AEGIS_REPLICA_ID: "pod-1" }).replicaId).toBe("pod-1");
    expect(loadConfig({}).workLeaseMs).toBe(30_000);
  });

  it("elects the leader by a Lease in a pod on PostgreSQL, the advisory lock elsewhere, and checks the choice", () => {
    const pgUrl = "postgresql://a:b@db:5432/aegis";
    expect(loadConfig({}).leaderElection).toEqual({ kind: "single" });
    expect(loadConfig({ AEGIS_DATABASE_URL: pgUrl }).leaderElection).toEqual({ kind: "postgres" });
    // A single replica in a pod on SQLite needs no election (and no Lease permissions).
    expect(loadConfig({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }).leaderElection).toEqual({ kind: "single" });
    expect(
      loadConfig({
        AEGIS_DATABASE_URL: pgUrl,
        KUBERNETES_SERVICE_HOST: "10.96.0.1",
        AEGIS_POD_NAMESPACE: "ops",
      }).leaderElection,
    ).toEqual({ kind: "lease", name: "aegisops-leader", namespace: "ops", durationSeconds: 15 });
    expect(
      loadConfig({ KUBECONFIG: "/k", AEGIS_LEADER_ELECTION: "lease", AEGIS_LEASE_DURATION_S: "5" })
        .leaderElection,
    ).toEqual({ kind: "lease", name: "aegisops-leader", namespace: "default", durationSeconds: 5 });
    expect(() => loadConfig({ AEGIS_LEADER_ELECTION: "lease" })).toThrow(/lease needs a cluster/);
    expect(() => loadConfig({ AEGIS_LEADER_ELECTION: "postgres" })).toThrow(/needs AEGIS_DATABASE_URL/);
    expect(() =>
      loadConfig({ KUBECONFIG: "/k", AEGIS_LEADER_ELECTION: "lease", AEGIS_LEASE_NAME: "Bad_Name" }),
    ).toThrow(/AEGIS_LEASE_NAME/);
  });
});
