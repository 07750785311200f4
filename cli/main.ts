import { Command } from "commander";
import { AegisError, describeError } from "../core/errors.ts";
import { demoCommand } from "./demo.ts";
import { evalCommand } from "./eval.ts";
import { labCommand } from "./lab.ts";
import { runbookCommand } from "./runbook.ts";
import { kubeSimCommand } from "./kubeSim.ts";
import { serveCommand } from "./serve.ts";
import { sloCommand } from "./slo.ts";

const program = new Command()
  .name("aegis")
  .description("AegisOps: autonomous incident responder for Docker and Kubernetes")
  .version("0.1.0")
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(kubeSimCommand());
program.addCommand(runbookCommand());
program.addCommand(evalCommand());
program.addCommand(demoCommand());
program.addCommand(labCommand());
program.addCommand(sloCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Expected errors (bad config, bad policy) get one clear line and exit 2; bugs keep their stack.
  if (err instanceof AegisError) {
    process.stderr.write(`aegis: ${err.code}: ${describeError(err)}\n`);
    process.exit(2);
  }
  throw err;
}
