import { describe, expect, it } from "vitest";
import { createContainerLogsTool } from "../../../tools/docker/containerLogs.ts";
import { fault, useDockerHarness, waitFor } from "../../helpers/docker.ts";

const h = useDockerHarness("logs");
const prefix = h.prefix;
const docker = h.docker;
const logs = createContainerLogsTool({ docker });

describe.concurrent("docker_container_logs", () => {
  it("returns stdout and stderr lines, each stream in order, newest `tail` only", async () => {
    const { name, port } = await h.target("streams");
    await fault(port, "5xx");
    await fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer());
    await fault(port, "clear");

    const { lines } = await waitFor(
      async () => {
        const out = await logs.execute({ container: name });
        return out.lines.some((l) => l.text.endsWith("faults cleared")) ? out : null;
      },
      { what: "the fault lines in the log" },
    );
    const texts = lines.map((l) => `${l.stream} ${l.text.replace(/^\S+ /, "")}`);
    // The engine copies the two streams separately: lines written a moment apart on different streams
    // may swap, but each stream keeps its own order.
    expect(texts.filter((t) => t.startsWith("stdout"))).toEqual([
      `stdout INFO listening on 127.0.0.1:${port}`,
      "stdout INFO fault enabled: 5xx",
      "stdout INFO faults cleared",
    ]);
    expect(texts.filter((t) => t.startsWith("stderr"))).toEqual(["stderr ERROR upstream call failed: 500"]);
    const tail = await logs.execute({ container: name, tail: 2 });
    expect(tail.lines).toHaveLength(2);
    expect(tail.lines.at(-1)?.text).toMatch(/faults cleared$/);
    const recent = await logs.execute({ container: name, sinceSeconds: 60 });
    expect(recent.lines).toHaveLength(4);
  });

  it("reads a TTY container's raw log (no stream headers) without garbling it", async () => {
    const { name } = await h.target("tty", {
      waitHealthy: false,
      tty: true,
      env: { TARGET_CONFIG_ERROR: "missing required setting DATABASE_URL" },
    });
    const { lines } = await waitFor(
      async () => {
        const out = await logs.execute({ container: name });
        return out.lines.length > 0 ? out : null;
      },
      { what: "the FATAL line" },
    );
    expect(lines).toHaveLength(1);
    // A TTY merges both streams into one: the engine cannot tell stderr apart any more.
    expect(lines[0]).toEqual({
      stream: "stdout",
      text: expect.stringMatching(/^\S+ FATAL configuration error: missing required setting DATABASE_URL$/),
    });
  });

  it("throws target_not_found for an unknown container", async () => {
    await expect(logs.execute({ container: `${prefix}-missing` })).rejects.toMatchObject({
      code: "target_not_found",
    });
  });
});
