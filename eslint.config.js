import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "data/",
      "dist/",
      "lab/kube-sim/dist/",
      "server/dashboard/assets/",
      "coverage/",
      "evals/reports/",
    ],
  },
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
    // The Kubernetes simulator is the workspace package @aegisops/kube-sim (lab/kube-sim, public API index.ts);
    // everything else imports it by that name, and only its own folder and its own tests (test/lab/kube-sim)
    // reach inside.
    files: ["**/*.ts"],
    ignores: ["lab/kube-sim/**", "test/lab/kube-sim/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              // promstack.ts is a test helper in test/lab/kube-sim, not the simulator.
              group: ["**/lab/kube-sim/*", "!**/lab/kube-sim/promstack.ts"],
              message: 'Import the simulator by its package name, "@aegisops/kube-sim" (its public API).',
            },
          ],
        },
      ],
    },
  },
);
