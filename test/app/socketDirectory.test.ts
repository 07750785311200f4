import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AGENT_SOCKET_NAME,
  createSocketDirectory,
  removeStaleSocketDirectories,
} from "../../app/socketDirectory.ts";
import { silentLogger } from "../../core/logger.ts";

/** A socket file whose process died with -9 (nobody listens, the file stays), as a killed agent leaves it. */
function deadSocket(dir: string): void {
  const path = join(dir, AGENT_SOCKET_NAME);
  const script = `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`;
  spawnSync(process.execPath, ["-e", script]);
  expect(existsSync(path)).toBe(true);
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

describe("socket directories left by `aegis serve` killed with -9", () => {
  let parent: string;
  const servers: Server[] = [];
  const children: Array<ReturnType<typeof spawn>> = [];
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), "aegis-sockdirs-"));
  });
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
    for (const c of children.splice(0)) c.kill("SIGKILL");
    rmSync(parent, { recursive: true, force: true });
  });
  const dir = (name: string) => {
    const path = join(parent, name);
    mkdirSync(path, { mode: 0o700 });
    return path;
  };

  it("names a new directory after its process and removes it once that process is gone", async () => {
    const mine = createSocketDirectory([parent]);
    expect(mine).toMatch(new RegExp(`aegis-agent-${process.pid}-\\w{6}$`));
    const left = dir(`aegis-agent-${deadPid()}-abc123`);
    deadSocket(left);
    const empty = dir(`aegis-agent-${deadPid()}-def456`);

    const removed = await removeStaleSocketDirectories([parent, parent], silentLogger());
    expect(removed.sort()).toEqual([left, empty].sort());
    expect(existsSync(mine)).toBe(true);
  });

  it("never removes a live agent's directory", async () => {
    // Its front is alive (here: a sleeping process), though the agent is between restarts.
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    children.push(sleeper);
    const restarting = dir(`aegis-agent-${sleeper.pid}-ghi789`);
    deadSocket(restarting);
    // Its front's pid means nothing here (another PID namespace on a shared /tmp), but the agent listens.
    const listening = dir(`aegis-agent-${deadPid()}-jkl012`);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(listening, AGENT_SOCKET_NAME), resolve));

    expect(await removeStaleSocketDirectories([parent], silentLogger())).toEqual([]);
    expect(existsSync(restarting) && existsSync(listening)).toBe(true);
  });

  it("removes an older version's directory only when its socket is dead and it sat untouched for an hour", async () => {
    const recent = dir("aegis-agent-Ab12Cd");
    deadSocket(recent);
    const old = dir("aegis-agent-Xy34Zw");
    deadSocket(old);
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, hoursAgo, hoursAgo);
    const unrelated = dir("aegis-agent-notes");
    utimesSync(unrelated, hoursAgo, hoursAgo);

    expect(await removeStaleSocketDirectories([parent], silentLogger())).toEqual([old]);
    expect(existsSync(recent) && existsSync(unrelated)).toBe(true);
  });
});
