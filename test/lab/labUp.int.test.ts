import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/docker.ts";

const BIN = fileURLToPath(new URL("../../bin/aegis.js", import.meta.url));

describe("aegis lab up", () => {
  it("runs Prometheus with the lab rules and Alertmanager until Ctrl-C, then stops both", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "lab", "up", "--target", "web=127.0.0.1:9", "--aegis-url", "http://127.0.0.1:1"],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const urls = await waitFor(() => /Prometheus +(\S+)[\s\S]*Alertmanager +(\S+)/.exec(stderr), {
        timeoutMs: 45_000,
        what: "both servers to start",
      });
      const [prom, am] = [urls[1]!, urls[2]!];
      const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string }> }> };
      };
      expect(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name))).toContain("TargetMemoryLeak");
      expect((await fetch(`${am}/-/ready`)).ok).toBe(true);

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(stderr).toContain("stopped Prometheus and Alertmanager");
      await expect(fetch(`${prom}/-/ready`)).rejects.toThrow();
      await expect(fetch(`${am}/-/ready`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 60_000);
});
