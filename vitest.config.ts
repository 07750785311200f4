import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Docker engine; running files in parallel on 2 cores only adds noise.
    fileParallelism: false,
    // No retries: a test that fails under load has a cause to fix (poll for conditions with deadlines).
    // The JSON report is what .ci/run reads for its "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: "data/test-results.json" }]],
  },
});
