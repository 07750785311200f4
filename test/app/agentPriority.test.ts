import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AgentProcess } from "../../app/agentProcess.ts";
import { silentLogger } from "../../core/logger.ts";

/** A stand-in for `aegis serve --agent-child`: says it is ready and waits for SIGTERM. */
const CHILD = `process.send({ type: "ready" }); process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000);`;

describe("the agent process runs at a lower CPU priority than the webhook's front", () => {
  let dir: string;
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (niceIncrement: number) => {
    dir = mkdtempSync(join(tmpdir(), "aegis-agentnice-"));
    const script = join(dir, "child.cjs");
    writeFileSync(script, CHILD);
    agent = new AgentProcess({
      script,
      env: process.env,
      logger: silentLogger(),
      socketParents: [dir],
      niceIncrement,
    });
    agent.start();
    await agent.whenReady();
    return agent.pid()!;
  };

  it("raises the agent's niceness by the configured step above the front's, at most to 19", async () => {
    const pid = await start(5);
    expect(getPriority(pid)).toBe(Math.min(19, getPriority() + 5));
  });

  it("leaves it at the front's with a step of 0", async () => {
    const pid = await start(0);
    expect(getPriority(pid)).toBe(getPriority());
  });
});
