import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kubeSimCommand } from "../../../cli/kubeSim.ts";
import { AegisError } from "../../../core/errors.ts";
import { deployment, manifests } from "../../helpers/kubeManifests.ts";
import { kubectl, waitFor } from "./helpers.ts";

const AEGIS = join(import.meta.dirname, "../../../bin/aegis.js");
const dir = mkdtempSync(join(tmpdir(), "kube-sim-cli-"));
const kubeconfig = join(dir, "kubeconfig");
let child: ChildProcess;
let out = "";

/** Runs `aegis kube-sim ARGS` in-process (the server itself runs from bin/aegis.js below). */
async function run(args: string[]): Promise<{ stdout: string; error?: unknown }> {
  let stdout = "";
  const cmd = kubeSimCommand();
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stdout += t) });
    c.commands.forEach(quiet);
  };
  quiet(cmd);
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((t: string | Uint8Array) => {
    stdout += String(t);
    return true;
  });
  try {
    await cmd.parseAsync(args, { from: "user" });
    return { stdout };
  } catch (error) {
    return { stdout, error };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  const fixture = join(dir, "fixture.yaml");
  writeFileSync(
    fixture,
    manifests(
      "apiVersion: v1\nkind: Node\nmetadata: { name: eu-node-1 }",
      deployment("api", "payments", "ghcr.io/acme/api:3.0.0", { replicas: 2 }),
    ),
  );
  child = spawn(
    process.execPath,
    [
      AEGIS,
      "kube-sim",
      "--port",
      "0",
      "--write-kubeconfig",
      kubeconfig,
      "--fixture",
      fixture,
      "--name",
      "eu-west",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await waitFor(() => /listening on (http\S+)/.exec(out), "the simulator to listen", 30_000);
});

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("aegis kube-sim", () => {
  it("has --help on the command and its subcommands", async () => {
    const help = await run(["--help"]);
    for (const flag of ["--port", "--host", "--write-kubeconfig", "--fixture", "--rbac", "--virtual-clock"])
      expect(help.stdout).toContain(flag);
    const inject = await run(["inject", "--help"]);
    expect(inject.stdout).toContain("--target");
    expect(inject.stdout).toContain("upstream_throttling");
    expect(inject.stdout).toContain("pod_degraded");
    expect(help.stdout).toContain("StatefulSets with PVCs");
    expect((await run(["node", "--help"])).stdout).toContain("--kubelet-flap-ms");
  });

  it("serves the fixture, writes a kubeconfig kubectl uses, and takes faults from `inject`", async () => {
    const url = /listening on (http\S+?)[\s(]/.exec(out)![1]!;
    expect(readFileSync(kubeconfig, "utf8")).toContain("current-context: eu-west");
    const env = { dir, kubeconfig };
    await waitFor(
      async () =>
        /api-\S+\s+\d\/1\s+\S+/.test((await kubectl(env, ["get", "pods", "-n", "payments"])).stdout),
      "api pods listed",
    );
    const nodes = await kubectl(env, ["get", "nodes"]);
    expect(nodes.stdout).toMatch(/eu-node-1\s+Ready/);

    const inj = await run([
      "inject",
      "http_5xx",
      "--target",
      "payments/api",
      "--param",
      "errorRatio=0.5",
      "--url",
      url,
      "--json",
    ]);
    expect(inj.error).toBeUndefined();
    expect(JSON.parse(inj.stdout)).toMatchObject({
      family: "http_5xx",
      target: "payments/api",
      clearedBy: "rollback_deployment",
      active: true,
    });
    const list = await run(["faults", "--url", url]);
    expect(list.stdout).toMatch(/f1\s+http_5xx\s+payments\/api\s+ACTIVE/);
    const node = await run(["node", "eu-node-1", "--network-unavailable", "true", "--url", url]);
    expect(node.error).toBeUndefined();
    await waitFor(
      async () => /eu-node-1\s+NotReady/.test((await kubectl(env, ["get", "nodes"])).stdout),
      "the node NotReady once its CNI is down",
    );
    const ev = await run([
      "event",
      "Deployment",
      "payments/api",
      "--reason",
      "ConfigDrift",
      "--message",
      "live spec differs from git",
      "--url",
      url,
    ]);
    expect(ev.error).toBeUndefined();
    expect((await kubectl(env, ["get", "events", "-n", "payments"])).stdout).toMatch(
      /Warning\s+ConfigDrift\s+deployment\/api\s+live spec differs from git/,
    );
    const badBool = await run(["node", "eu-node-1", "--kubelet-down", "yes", "--url", url]);
    expect((badBool.error as AegisError).message).toContain("--kubelet-down yes: expected true or false");
    const bad = await run(["inject", "no_such_fault", "--target", "x", "--url", url]);
    expect(bad.error).toBeInstanceOf(AegisError);
    expect((bad.error as AegisError).message).toContain('unknown fault "no_such_fault"');
  });
});
