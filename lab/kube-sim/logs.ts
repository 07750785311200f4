import { ApiError } from "./http/status.ts";

interface ContainerLog {
  current: string[];
  previous: string[] | undefined;
}

const MAX_LINES = 2000;

/** Container logs per pod uid and container: the running instance's and the previous one's (`--previous`). */
export class LogBook {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(podUid: string, container: string): ContainerLog {
    const key = `${podUid}/${container}`;
    let e = this.logs.get(key);
    if (!e) {
      e = { current: [], previous: undefined };
      this.logs.set(key, e);
    }
    return e;
  }

  /** Appends lines to the running instance's log. */
  append(podUid: string, container: string, ...lines: string[]): void {
    const e = this.entry(podUid, container);
    e.current.push(...lines);
    if (e.current.length > MAX_LINES) e.current.splice(0, e.current.length - MAX_LINES);
  }

  /**
   * The container instance exited: its log becomes the previous one (`--previous`), and stays the current one
   * too until the next instance starts, as the kubelet serves a crash-looping container's last output.
   */
  terminated(podUid: string, container: string): void {
    const e = this.entry(podUid, container);
    e.previous = [...e.current];
  }

  /** A new container instance starts with an empty log. */
  restarted(podUid: string, container: string): void {
    this.entry(podUid, container).current = [];
  }

  /** Reads a log as the kubelet serves it; `previous` of a container that never restarted is a 400, as in Kubernetes. */
  read(podUid: string, podName: string, container: string, previous: boolean, tail?: number): string {
    const e = this.entry(podUid, container);
    const lines = previous ? e.previous : e.current;
    if (!lines)
      throw new ApiError(
        "BadRequest",
        `previous terminated container "${container}" in pod "${podName}" not found`,
      );
    const out = tail !== undefined && tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
    return out.length ? out.join("\n") + "\n" : "";
  }

  /** Forgets a deleted pod's logs. */
  forget(podUid: string): void {
    for (const k of this.logs.keys()) if (k.startsWith(`${podUid}/`)) this.logs.delete(k);
  }
}
