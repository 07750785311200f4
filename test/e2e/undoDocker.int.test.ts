import { describe, expect, it } from "vitest";
import { createDockerPlatform } from "../../agent/platforms/docker/dockerPlatform.ts";
import { createPersonUndo } from "../../agent/undo/personUndo.ts";
import { createScaleServiceTool, listReplicas } from "../../tools/docker/scaleService.ts";
import { useDockerHarness } from "../helpers/docker.ts";
import { resolvedScaleIncident } from "../helpers/sentAction.ts";

const h = useDockerHarness("undo");
const scale = createScaleServiceTool({ docker: h.docker });
const members = async (name: string) => (await listReplicas(h.docker, { container: name })).members.length;

/**
 * A finished incident whose scale_service (1 → 2) went through the ledger as the act node records it, on a real
 * container; and a person's undo over the same store and the real Docker platform.
 */
async function scaledUp(suffix: string) {
  const { name } = await h.target(suffix, { memoryMb: 128 });
  const target = { kind: "docker_container" as const, key: `docker:container/${name}`, name };
  const { incidents, ledger, id } = await resolvedScaleIncident(
    target,
    { replicas: 2 },
    async () => ({ ...(await scale.execute({ container: name, replicas: 2 })) }),
    new Date().toISOString(),
  );
  const undo = createPersonUndo({
    incidents,
    ledger,
    platforms: [createDockerPlatform({ docker: h.docker })],
  });
  return { name, id, undo, incidents };
}

describe("a person's undo on the Docker engine", () => {
  it("scale_service is scaled back to its previous count, once", async () => {
    const { name, id, undo, incidents } = await scaledUp("back");
    expect(await members(name)).toBe(2);
    expect(await undo(id, { by: "alice", via: "api" })).toMatchObject({ kind: "done", undone: true });
    expect(await members(name)).toBe(1);
    expect(await undo(id, { by: "alice", via: "api" })).toMatchObject({ code: "already_undone" });
    const undos = (await incidents.get(id))!.actions.filter((a) => a.params.undoOf !== undefined);
    expect(undos.map((u) => u.state)).toEqual(["sent"]);
  });

  it("refused while someone scaled it again since (the undo would overwrite that); confirmed, it runs", async () => {
    const { name, id, undo } = await scaledUp("again");
    await scale.execute({ container: name, replicas: 3 });
    const refused = await undo(id, { by: "alice", via: "api" });
    expect(refused).toMatchObject({ kind: "refused", code: "changed_since", confirmable: true });
    expect(refused.kind === "refused" && refused.message).toMatch(
      /now runs 3 replica\(s\), not the 2 scale_service set: it was scaled again since/,
    );
    expect(await members(name)).toBe(3);
    expect(await undo(id, { by: "alice", via: "api", confirm: true })).toMatchObject({ undone: true });
    expect(await members(name)).toBe(1);
  });
});
