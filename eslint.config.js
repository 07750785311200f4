import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "dist/", "server/dashboard/assets/", "coverage/", "evals/reports/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        fetch: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: "Read the environment only in core/config.ts.",
        },
      ],
    },
  },
  {
    files: ["core/config.ts", "test/**", "bench/**", "lab/**", "scripts/**", "bin/**", "vitest.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    // The Kubernetes simulator's public API is lab/kube-sim/index.ts; only its own folder and its own tests
    // (test/lab/kube-sim) reach inside.
    files: ["**/*.ts"],
    ignores: ["lab/kube-sim/**", "test/lab/kube-sim/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              // promstack.ts is a test helper in test/lab/kube-sim, not the simulator.
              group: ["**/lab/kube-sim/*", "!**/lab/kube-sim/index.ts", "!**/lab/kube-sim/promstack.ts"],
              message: "Import the simulator through lab/kube-sim/index.ts, its public API.",
            },
          ],
        },
      ],
    },
  },
);
