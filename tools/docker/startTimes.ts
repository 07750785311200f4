import type { DockerClient } from "./client.ts";
import { inspectSnapshot, type ContainerSnapshot } from "./inspectContainer.ts";

/** A container's start time before and after an action: the action took when they differ. */
export interface StartTimes {
  id: string;
  name: string;
  startedAtBefore: string;
  startedAtAfter: string;
}

/**
 * Inspect `container`, run `act` on it (given the snapshot, so it addresses the container by id), and inspect it
 * again: the restart actions' common frame.
 */
export async function aroundStart(
  docker: DockerClient,
  container: string,
  act: (before: ContainerSnapshot) => Promise<void>,
): Promise<StartTimes> {
  const before = await inspectSnapshot(docker, container);
  await act(before);
  const after = await inspectSnapshot(docker, before.id);
  return {
    id: before.id,
    name: before.name,
    startedAtBefore: before.state.startedAt,
    startedAtAfter: after.state.startedAt,
  };
}
