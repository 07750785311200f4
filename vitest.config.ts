import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share one Docker engine; running files in parallel on 2 cores only adds noise.
    fileParallelism: false,
  },
});
