// Entry of an eval suite worker process (evals/harness/suite.ts forks it). A source checkout runs the
// TypeScript through tsx with the checkout's tsconfig.json (its `paths` locate @aegisops/kube-sim), as
// bin/aegis.js does; a built package runs the compiled suiteWorker.js beside this file.
import { existsSync } from "node:fs";

const source = new URL("./suiteWorker.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register({ tsconfig: new URL("../../tsconfig.json", import.meta.url).pathname });
  await import(source.href);
} else {
  await import("./suiteWorker.js");
}
