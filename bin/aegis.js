#!/usr/bin/env node
// The installed package runs the JavaScript built into dist/ (`npm run build`). A source checkout
// (cli/main.ts present) runs the TypeScript directly through tsx, so a developer never runs a stale build.
import { existsSync } from "node:fs";

const source = new URL("../cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  // This checkout's tsconfig.json, wherever the command runs from: its `paths` point the workspace package
  // @aegisops/kube-sim at its TypeScript sources.
  register({ tsconfig: new URL("../tsconfig.json", import.meta.url).pathname });
  await import(source.href);
} else {
  await import("../dist/cli/main.js");
}
