import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { postgresUnavailable } from "./test/helpers/postgres.ts";

/**
 * The store matrix: every test runs on SQLite (the default store, fast); the files below, which start an AegisOps
 * (through test/helpers/aegis.ts or the Slack harness) and exercise what it stores, run a second time on a
 * throwaway PostgreSQL (project `postgres`, one server for the leg). Files that start their own PostgreSQL
 * (the store contract, crash safety, replicas, leader election) already cover both stores and are not repeated.
 */
export const POSTGRES_LEG = [
  "test/e2e/coreLoop.int.test.ts",
  "test/e2e/guard.int.test.ts",
  "test/e2e/kubernetes/healing.test.ts",
  "test/security/approval-reguard.int.test.ts",
  "test/security/target-identity.int.test.ts",
  "test/slack/approvals.test.ts",
  "test/slack/undo.test.ts",
];

const noPostgres = postgresUnavailable();
if (noPostgres) console.log(`[store matrix] PostgreSQL leg skipped: ${noPostgres}`);

export default defineConfig({
  // The simulator workspace package runs from its sources in a checkout (as tsconfig.json's paths say).
  resolve: {
    alias: { "@aegisops/kube-sim": fileURLToPath(new URL("./lab/kube-sim/index.ts", import.meta.url)) },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Docker engine; running files in parallel on 2 cores only adds noise.
    fileParallelism: false,
    // No retries: a test that fails under load has a cause to fix (poll for conditions with deadlines).
    // The JSON report is what .ci/run reads for its "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: "data/test-results.json" }]],
    projects: [
      { extends: true as const, test: { name: "sqlite", include: ["test/**/*.test.ts"] } },
      ...(noPostgres
        ? []
        : [
            {
              extends: true as const,
              test: {
                name: "postgres",
                include: POSTGRES_LEG,
                globalSetup: ["test/helpers/postgresGlobalSetup.ts"],
                setupFiles: ["test/helpers/postgresLegCheck.ts"],
              },
            },
          ]),
    ],
  },
});
