import { describe, expect, it } from "vitest";
import { dockerSignals } from "../../../agent/platforms/docker/signals.ts";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import type { Incident, Target } from "../../../core/types.ts";
import { captured } from "../../helpers/fixtures.ts";

const names = (kind: string) => dockerSignals(captured(kind)).map((s) => s.name);

describe("Docker signals from captured container states", () => {
  it.each([
    ["memory_leak", ["memory_growth"]],
    ["oom_killed", ["oom_killed", "exited"]],
    ["hung", ["health_timeout"]],
    ["http_5xx", ["health_failing", "http_errors"]],
    ["slow", ["slow_responses"]],
    ["config_crashloop", ["crash_loop", "config_error"]],
    ["config_exited", ["exited", "config_error"]],
    ["healthy", ["healthy"]],
  ])("%s → %j", (kind, expected) => {
    expect(names(kind).sort()).toEqual([...expected].sort());
  });

  it("quotes the configuration error from the log as the evidence", () => {
    const config = dockerSignals(captured("config_crashloop")).find((s) => s.name === "config_error");
    expect(config?.detail).toContain("missing required setting DATABASE_URL");
  });

  it("does not call a healthy process that logs the word 'configuration' a config error", () => {
    const obs = captured("healthy");
    obs.logs = [{ stream: "stderr", text: "WARN configuration error in optional plugin, ignored" }];
    expect(names("healthy")).not.toContain("config_error");
    expect(dockerSignals(obs).map((s) => s.name)).not.toContain("config_error");
  });

  it("ignores memory that rises and falls (GC) even when the endpoints differ", () => {
    const obs = captured("memory_leak");
    const [a, b, c] = obs.stats!.samples;
    obs.stats!.samples = [a!, { ...c!, at: b!.at }, { ...b!, at: c!.at }];
    expect(dockerSignals(obs).map((s) => s.name)).not.toContain("memory_growth");
  });
});

describe("a running container whose health URL keeps failing", () => {
  const target: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };
  const refused = { ok: false, status: null, latencyMs: 1, error: "connection_refused" };
  const decide = (signals: ReturnType<typeof dockerSignals>) =>
    new HeuristicPlanner().decide({
      incident: {} as Incident,
      target,
      evidence: { collectedAt: "", signals, observations: {}, errors: [] },
      recalled: [],
      policy: defaultPolicy(),
    });

  it("refused on two probes → health_failing in plain words → restart_container", async () => {
    const obs = captured("healthy");
    obs.probe = refused;
    obs.probes = [refused, refused];
    const signals = dockerSignals(obs);
    const failing = signals.find((s) => s.name === "health_failing");
    expect(failing?.detail).toBe(
      "health URL refused the connection (nothing listens on that port) (2 of 2 probes failed)",
    );
    expect((await decide(signals)).action).toBe("restart_container");
  });

  it("look-alike: one refused probe among two healthy ones is a blip → healthy, no action", async () => {
    const obs = captured("healthy");
    const ok = { ok: true, status: 200, latencyMs: 3, error: null };
    obs.probe = ok;
    obs.probes = [refused, ok, ok];
    const signals = dockerSignals(obs);
    expect(signals.map((s) => s.name)).toEqual(["healthy"]);
    expect((await decide(signals)).action).toBe("none");
  });
});
