import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { targetNameProblem } from "../../agent/targeting/names.ts";
import { createDockerClient } from "../../tools/docker/client.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { startTestAegis, waitForFinished, type TestAegis } from "../helpers/aegis.ts";

/**
 * Attack: a label naming a container `../..//127.0.0.1:<port>/steal` made dockerode call
 * `/containers/../..//127.0.0.1:<port>/steal/json`; the engine cleans the path and answers 301, docker-modem
 * followed the Location to the other host, and an unhandled `error` on that request killed the process.
 */
let bait: Server;
let baitPort = 0;
const hits: string[] = [];
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  bait = createServer((req, res) => {
    hits.push(req.url ?? "");
    res.end("{}");
  });
  await new Promise<void>((resolve) => bait.listen(0, "127.0.0.1", resolve));
  baitPort = (bait.address() as AddressInfo).port;
  process.on("uncaughtException", onUncaught);
});
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  await new Promise((resolve) => bait.close(resolve));
});

const crafted = () => [
  "../x",
  "..%2F..%2Fx",
  "a/../../unresolvable-host-for-aegis-test",
  `../..//127.0.0.1:${baitPort}/steal`,
  `..//127.0.0.1:${baitPort}/steal`,
];

describe("the Docker client never follows the engine's redirects", () => {
  it("rejects each crafted name's call, sends nothing to the Location's host, and raises no uncaught error", async () => {
    const docker = createDockerClient(process.env.DOCKER_HOST);
    for (const name of crafted()) {
      await expect(docker.getContainer(name).inspect(), name).rejects.toThrow();
    }
    // Anything the redirects would have sent has had time to arrive: a real call to the engine round-trips.
    await docker.ping();
    await docker.ping();
    expect(hits).toEqual([]);
    expect(uncaught).toEqual([]);
  });
});

describe("triage escalates target names outside the platform's grammar", () => {
  let t: TestAegis | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it("each crafted container label ends escalated with the reason, and the server keeps answering", async () => {
    t = await startTestAegis({ AEGIS_MODE: "auto" });
    for (const container of crafted()) {
      const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerDown", container }));
      expect(res.status).toBe(202);
      const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
      const incident = await waitForFinished(t.baseUrl, id);
      expect(incident.status, container).toBe("escalated");
      expect(incident.statusReason, container).toMatch(
        /^target_name_invalid: container .*not a Docker container name/,
      );
      expect(incident.actions).toEqual([]);
    }
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    expect(hits).toEqual([]);
    expect(uncaught).toEqual([]);
  });
});

describe("name grammars", () => {
  it("accepts what the platforms accept", () => {
    const ok = [
      { kind: "docker_container", key: "k", name: "web-1_a.b" },
      { kind: "docker_container", key: "k", name: "3f2a" },
      { kind: "docker_service", key: "k", service: "orders_api" },
      { kind: "k8s_workload", key: "k", namespace: "shop", workload: "deployment", name: "api.v2-x" },
      {
        kind: "k8s_workload",
        key: "k",
        namespace: "shop",
        workload: "pod",
        name: "api-7d9f-abc",
        container: "app",
      },
      { kind: "k8s_node", key: "k", name: "ip-10-0-1-2.eu-west-1.compute.internal" },
    ] as const;
    for (const target of ok) expect(targetNameProblem(target), JSON.stringify(target)).toBeUndefined();
  });

  it("refuses traversal, encoded slashes, upper case in DNS names, empty and over-long names", () => {
    const bad = [
      { kind: "docker_container", key: "k", name: "a/b" },
      { kind: "docker_container", key: "k", name: "-rm" },
      { kind: "docker_container", key: "k", name: "x".repeat(256) },
      { kind: "docker_service", key: "k", service: ".." },
      { kind: "docker_service", key: "k", service: "a%2Fb" },
      { kind: "k8s_workload", key: "k", namespace: "../kube-system", workload: "pod", name: "p" },
      { kind: "k8s_workload", key: "k", namespace: "shop", workload: "deployment", name: "API" },
      { kind: "k8s_workload", key: "k", namespace: "shop", workload: "deployment", name: "" },
      { kind: "k8s_workload", key: "k", namespace: "n".repeat(64), workload: "deployment", name: "api" },
      { kind: "k8s_workload", key: "k", namespace: "shop", workload: "pod", name: "p", container: "a_b" },
      { kind: "k8s_node", key: "k", name: "node%2F..%2F" },
    ] as const;
    for (const target of bad)
      expect(targetNameProblem(target), JSON.stringify(target)).toMatch(/not an?|longer/);
  });
});
