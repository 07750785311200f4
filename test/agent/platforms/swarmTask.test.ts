import { describe, expect, it } from "vitest";
import { dockerSignals } from "../../../agent/platforms/docker/signals.ts";
import { parsePolicy } from "../../../agent/policy/loadPolicy.ts";
import { judgePlausibility } from "../../../agent/policy/plausibility.ts";
import type { Target } from "../../../core/types.ts";
import { replacementAmong, SWARM_LABELS, swarmTaskOf } from "../../../tools/docker/swarmTask.ts";
import { decisionFor, evidenceOf, heuristicDecision } from "../../helpers/decisions.ts";
import { captured } from "../../helpers/fixtures.ts";

/** The labels the engine gives a Swarm task's container. */
const taskLabels = (service: string, slot: string, taskId: string) => ({
  [SWARM_LABELS.serviceName]: service,
  [SWARM_LABELS.taskName]: `${service}.${slot}.${taskId}`,
  [SWARM_LABELS.taskId]: taskId,
});
const dead = taskLabels("web", "2", "x7c8v9b0n1m2l3k4j5h6g7f8d");
const target: Target = { kind: "docker_container", key: "docker:container/web.2", name: "web.2.x7c8" };

/** A captured OOM-killed container relabelled as the stopped Swarm task. */
function stoppedTask(replacement?: string) {
  const obs = captured("oom_killed");
  obs.snapshot.labels = { ...obs.snapshot.labels, ...dead };
  const task = swarmTaskOf(obs.snapshot.labels)!;
  return { ...obs, swarm: replacement ? { task, replacement } : { task } };
}

describe("Swarm tasks", () => {
  it("reads service, slot and task id from the task name, a global service's node id as its slot", () => {
    expect(swarmTaskOf(dead)).toEqual({ service: "web", slot: "2", taskId: "x7c8v9b0n1m2l3k4j5h6g7f8d" });
    expect(swarmTaskOf(taskLabels("my.api", "n0d3id", "abc"))).toEqual({
      service: "my.api",
      slot: "n0d3id",
      taskId: "abc",
    });
    expect(swarmTaskOf({ "com.docker.compose.service": "web" })).toBeUndefined();
  });

  it("finds the running task Swarm started in the same slot, not another slot's or a stopped one", () => {
    const task = swarmTaskOf(dead)!;
    const others = [
      { name: "web.1.aaa", labels: taskLabels("web", "1", "aaa"), running: true },
      { name: "web.2.old", labels: taskLabels("web", "2", "old"), running: false },
      { name: "web.2.x7c8v9b0n1m2l3k4j5h6g7f8d", labels: dead, running: false },
    ];
    expect(replacementAmong(task, others)).toBeUndefined();
    const fresh = { name: "web.2.new", labels: taskLabels("web", "2", "new"), running: true };
    expect(replacementAmong(task, [...others, fresh])).toBe("web.2.new");
  });

  it("a stopped task already replaced is escalated, never restarted, though it was OOM-killed", async () => {
    const signals = dockerSignals(stoppedTask("web.2.new"));
    expect(signals.find((s) => s.name === "swarm_task_exited")?.detail).toMatch(
      /Swarm already runs its replacement web\.2\.new/,
    );
    const d = await heuristicDecision(target, signals);
    expect(d.action).toBe("none");
    expect(d.disposition).toBe("escalate");
    expect(d.rationale).toMatch(/Swarm task/);
  });

  it("a stopped task not yet replaced is escalated too, pointing at docker service ps", async () => {
    const signals = dockerSignals(stoppedTask());
    expect(signals.find((s) => s.name === "swarm_task_exited")?.detail).toMatch(/docker service ps web/);
    expect((await heuristicDecision(target, signals)).action).toBe("none");
  });

  it("a plain stopped container (no Swarm labels) is still restarted", async () => {
    const d = await heuristicDecision(target, dockerSignals(captured("oom_killed")));
    expect(d.action).toBe("restart_container");
  });

  it("any planner's restart or kill of a stopped Swarm task is refused before the guard", () => {
    const evidence = evidenceOf(dockerSignals(stoppedTask("web.2.new")));
    const policy = parsePolicy("{}", "policy.yaml");
    for (const action of ["restart_container", "kill_container"] as const) {
      expect(judgePlausibility({ decision: decisionFor(action), target, evidence, policy })).toEqual({
        verdict: "refuse",
        reason: expect.stringMatching(/of a stopped Swarm task: Swarm owns it/),
      });
    }
  });
});
