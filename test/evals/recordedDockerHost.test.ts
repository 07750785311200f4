import { describe, expect, it } from "vitest";
import type { Target } from "../../core/types.ts";
import type { Decision } from "../../core/types.ts";
import {
  containerIdentity,
  createRecordedDockerPlatform,
  type RecordedContainer,
} from "../../evals/harness/recordedDocker.ts";
import { parseScenario } from "../../evals/harness/scenario.ts";
import { resolveTarget } from "../../agent/targeting/resolveTarget.ts";
import { policySchema } from "../../agent/policy/schema.ts";

const service = (name: string): Target => ({
  kind: "docker_service",
  key: `docker:service/${name}`,
  service: name,
});
const container = (name: string): Target => ({
  kind: "docker_container",
  key: `docker:container/${name}`,
  name,
});
const decide = (action: Decision["action"], target: string) =>
  ({ action, target, params: {} }) as unknown as Decision;

const composeWeb = (
  n: number,
  before: string,
  extra: Partial<RecordedContainer> = {},
): RecordedContainer => ({
  compose: { project: "shop", service: "web", number: n, oneoff: false },
  before,
  ...extra,
});

describe("recorded Docker hosts of several containers", () => {
  it("names and labels containers as Compose and Swarm do", () => {
    const web2 = containerIdentity(composeWeb(2, "healthy"));
    expect(web2.name).toBe("shop-web-2");
    expect(web2.labels).toMatchObject({
      "com.docker.compose.project": "shop",
      "com.docker.compose.service": "web",
      "com.docker.compose.container-number": "2",
      "com.docker.compose.oneoff": "False",
    });
    const run = containerIdentity({
      compose: { project: "shop", service: "web", number: 1, oneoff: true },
      before: "healthy",
    });
    expect(run.name).toMatch(/^shop-web-run-[0-9a-f]{12}$/);
    expect(run.labels["com.docker.compose.oneoff"]).toBe("True");
    const task = containerIdentity({
      swarm: { service: "api", slot: 3, taskId: "abc123", node: "n1", stack: "prod" },
      before: "healthy",
    });
    expect(task.name).toBe("api.3.abc123");
    expect(task.labels).toMatchObject({
      "com.docker.swarm.service.name": "api",
      "com.docker.swarm.task.name": "api.3.abc123",
      "com.docker.swarm.task.id": "abc123",
      "com.docker.swarm.node.id": "n1",
      "com.docker.stack.namespace": "prod",
    });
  });

  it("shows each container under its own name, id and labels, whichever container the recording came from", async () => {
    const { platform } = createRecordedDockerPlatform({
      containers: [composeWeb(1, "healthy"), composeWeb(2, "healthy")],
    });
    const a = await platform.investigate(container("shop-web-1"), []);
    const b = await platform.investigate(container("shop-web-2"), []);
    const snapA = a.observations.docker_inspect_container as {
      name: string;
      id: string;
      labels: Record<string, string>;
    };
    const snapB = b.observations.docker_inspect_container as {
      name: string;
      id: string;
      labels: Record<string, string>;
    };
    expect([snapA.name, snapB.name]).toEqual(["shop-web-1", "shop-web-2"]);
    expect(snapA.id).not.toBe(snapB.id);
    expect(snapB.labels["com.docker.compose.container-number"]).toBe("2");
    // The recording's own labels stay (the health URL the product probes, for instance).
    expect(snapB.labels["aegis.health-url"]).toBeDefined();
  });

  it("locates a Compose service at the member that is down and acts on that member only", async () => {
    const { platform, log } = createRecordedDockerPlatform({
      containers: [
        composeWeb(1, "healthy"),
        composeWeb(2, "oom_killed", { after: { restart_container: "healthy" } }),
        composeWeb(3, "oom_killed", { after: { restart_container: "healthy" } }),
      ],
    });
    const located = await platform.locate(service("web"));
    expect(located).toMatchObject({
      ok: true,
      identity: "docker:service/web",
      target: { name: "shop-web-2" },
    });
    if (!located.ok) return;
    expect(
      (await platform.checkHealth(located.target, [], "", decide("restart_container", "shop-web-2"))).healthy,
    ).toBe(false);
    await platform.execute(decide("restart_container", "shop-web-2"), located.target);
    expect(log.sent).toEqual([{ action: "restart_container", target: "docker:service/web" }]);
    expect(
      (await platform.checkHealth(located.target, [], "", decide("restart_container", "shop-web-2"))).healthy,
    ).toBe(true);
    // The other down member was not touched.
    const other = await platform.locate(container("shop-web-3"));
    if (!other.ok) throw new Error(other.reason);
    expect((await platform.checkHealth(other.target, [], "", decide("none", ""))).healthy).toBe(false);
  });

  it("finds no service that no container carries, and refuses one that spans two projects", async () => {
    const { platform } = createRecordedDockerPlatform({
      containers: [
        composeWeb(1, "healthy"),
        { compose: { project: "staging", service: "web", number: 1, oneoff: false }, before: "healthy" },
      ],
    });
    expect(await platform.locate(service("api"))).toEqual({
      ok: false,
      reason: "no container of compose service api",
    });
    expect(await platform.locate(service("web"))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/several projects \(shop, staging\)/),
    });
    expect(await platform.locate(container("shop-web-9"))).toMatchObject({ ok: false });
  });

  it("answers the read tools about the container they are bound to", async () => {
    const { platform } = createRecordedDockerPlatform({
      containers: [composeWeb(1, "healthy"), composeWeb(2, "http_5xx")],
    });
    const located = await platform.locate(container("shop-web-2"));
    if (!located.ok) throw new Error(located.reason);
    const inspect = platform.readOnlyTools!(located.target).find(
      (t) => t.name === "docker_inspect_container",
    )!;
    expect(((await inspect.execute({})) as { name: string }).name).toBe("shop-web-2");
  });

  it("lets an alert's Compose and Swarm labels reach the recorded containers through the product's resolver", async () => {
    const { platform } = createRecordedDockerPlatform({
      containers: [
        composeWeb(1, "healthy"),
        { swarm: { service: "api", slot: 1, taskId: "t1", node: "n1" }, before: "healthy" },
      ],
    });
    const policy = policySchema.parse({});
    const viaCadvisor = resolveTarget(
      { container_label_com_docker_compose_service: "web", job: "cadvisor" },
      policy,
    );
    const viaRule = resolveTarget({ compose_service: "web", compose_project: "shop" }, policy);
    const task = resolveTarget(
      { name: "api.1.t1", image: "acme/api:1", container_label_com_docker_swarm_service_name: "api" },
      policy,
    );
    for (const t of [viaCadvisor, viaRule, task])
      expect(await platform.locate(t)).toMatchObject({ ok: true });
  });
});

describe("the one-container form", () => {
  it("still answers to the scenario's name and the recording's, with the alert's target unchanged", async () => {
    const { platform } = createRecordedDockerPlatform({ container: "web", before: "hung", after: {} });
    const web = container("web");
    const located = await platform.locate(web);
    expect(located).toMatchObject({ ok: true, target: web });
    expect(located.ok && located.identity).toBe(undefined);
    expect(await platform.locate(container("target-hung"))).toMatchObject({ ok: true });
    expect(await platform.locate(container("api"))).toMatchObject({ ok: false });
    expect(await platform.locate(service("web"))).toMatchObject({ ok: false });
  });
});

describe("the Docker environment's schema", () => {
  const scenario = (environment: string) => `id: d
description: x
family: crashloop
environment:
${environment}
notifications: [{ alerts: [{ labels: { alertname: A, container: web } }] }]
expect: { actions: [none] }
`;

  it("keeps the one-container form and accepts a host of several", () => {
    const one = parseScenario(
      scenario("  kind: docker\n  container: web\n  before: hung\n  after: { kill_container: healthy }"),
      "one.yaml",
    );
    expect(one.environment).toMatchObject({
      kind: "docker",
      container: "web",
      before: "hung",
      after: { kill_container: "healthy" },
    });
    const many = parseScenario(
      scenario(
        "  kind: docker\n  containers:\n    - { compose: { project: p, service: web }, before: healthy }\n    - { swarm: { service: api }, before: hung }",
      ),
      "many.yaml",
    );
    expect(many.environment).toMatchObject({
      containers: [
        { compose: { project: "p", service: "web", number: 1, oneoff: false } },
        { swarm: { service: "api", slot: 1, node: "node1" } },
      ],
    });
  });

  it("names the field when the forms are mixed or incomplete", () => {
    expect(() =>
      parseScenario(
        scenario(
          "  kind: docker\n  container: web\n  before: hung\n  containers: [{ name: a, before: hung }]",
        ),
        "mixed.yaml",
      ),
    ).toThrow(/mixed\.yaml.*containers.*not both/s);
    expect(() => parseScenario(scenario("  kind: docker\n  container: web"), "half.yaml")).toThrow(
      /half\.yaml.*before/s,
    );
    expect(() =>
      parseScenario(scenario("  kind: docker\n  containers: [{ before: hung }]"), "anon.yaml"),
    ).toThrow(/anon\.yaml.*name the container/s);
  });
});
