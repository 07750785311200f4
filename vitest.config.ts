import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Docker engine; running files in parallel on 2 cores only adds noise.
    fileParallelism: false,
    // Integration tests drive real engines (Docker, Prometheus, Alertmanager) on a shared 2-core machine;
    // one retry absorbs a scheduling hiccup. A test that fails twice fails the run.
    retry: 1,
    // The JSON report is what .ci/run reads for its "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: "data/test-results.json" }]],
  },
});
