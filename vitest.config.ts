import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The simulator workspace package runs from its sources in a checkout (as tsconfig.json's paths say).
  resolve: {
    alias: { "@aegisops/kube-sim": fileURLToPath(new URL("./lab/kube-sim/index.ts", import.meta.url)) },
  },
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
