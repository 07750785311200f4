import { createServer } from "node:net";

/**
 * A loopback port that was free a moment ago (the kernel's pick for port 0). Whoever listens on it next may
 * lose a race with another process; callers that can should listen on port 0 themselves.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
