import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A listening server and how to stop it. */
export interface RunningServer {
  server: Server;
  /** The bound address, e.g. `http://127.0.0.1:41234` (port 0 resolved to the real one). */
  url: string;
  host: string;
  port: number;
  /**
   * Stop accepting connections, let in-flight requests finish (their replies promise a commit), close idle
   * keep-alive connections, and after `graceMs` cut whatever is left.
   */
  close(graceMs?: number): Promise<void>;
}

const DEFAULT_GRACE_MS = 10_000;

/** Listen on host:port (port 0 picks a free one); resolves once the socket is bound. */
export function startServer(app: RequestListener, host: string, port: number): Promise<RunningServer> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address() as AddressInfo;
      const shownHost = address.address.includes(":") ? `[${address.address}]` : address.address;
      let closing: Promise<void> | undefined;
      resolve({
        server,
        url: `http://${shownHost}:${address.port}`,
        host: address.address,
        port: address.port,
        close: (graceMs = DEFAULT_GRACE_MS) => (closing ??= drain(server, graceMs)),
      });
    });
  });
}

/** Listen on a Unix socket at `path` (the agent process, behind `aegis serve`'s front). */
export function startSocketServer(
  app: RequestListener,
  path: string,
): Promise<Pick<RunningServer, "server" | "close">> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      let closing: Promise<void> | undefined;
      resolve({ server, close: (graceMs = DEFAULT_GRACE_MS) => (closing ??= drain(server, graceMs)) });
    });
  });
}

function drain(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // Connections that finish their request while we wait become idle: keep closing those.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((err) => {
      clearInterval(sweep);
      clearTimeout(cut);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
