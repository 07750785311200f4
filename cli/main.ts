import { Command } from "commander";
import { AegisError, describeError } from "../core/errors.ts";
import { COMMANDS } from "./commands.ts";

const program = new Command()
  .name("aegis")
  .description("AegisOps: autonomous incident responder for Docker and Kubernetes")
  .version("0.1.0")
  .showHelpAfterError();

// Load only the command being run; the others stay placeholders that carry their summary for --help.
const words = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const wanted = words[0] === "help" ? words[1] : words[0];
for (const entry of COMMANDS) {
  if (entry.name === wanted) program.addCommand(await entry.load());
  else program.command(entry.name).description(entry.summary);
}

// A reader that closes the pipe early (`aegis detect FILE.csv | head`) ends the command quietly, as any Unix
// tool does, instead of an EPIPE stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

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
