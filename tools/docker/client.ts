import Docker from "dockerode";

export type DockerClient = Docker;

/** The part of docker-modem's Modem this file touches (dockerode types it as `any`). */
interface ModemInternals {
  buildRequest(options: Record<string, unknown>, ...rest: unknown[]): unknown;
}

/** Build the Docker API client once at start-up: DOCKER_HOST (tcp:// or unix://) or the local socket. */
export function createDockerClient(dockerHost?: string): DockerClient {
  return withoutRedirects(connect(dockerHost));
}

function connect(dockerHost?: string): DockerClient {
  if (!dockerHost) return new Docker({ socketPath: "/var/run/docker.sock" });
  const url = new URL(dockerHost);
  if (url.protocol === "unix:") return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: "http" });
}

/**
 * docker-modem's HTTP layer follows up to 5 redirects, to whatever host the `Location` header names, on a
 * request nobody listens to for errors (an unreachable host there is an uncaught exception). The engine
 * answers a path it cleans (`/containers/../x`) with a 301, so a crafted name would make us call another
 * host. The engine's API has no legitimate redirect: ask for none. With `maxRedirects: 0` the modem's own
 * request fails with "Max redirects exceeded" (which the call's promise rejects with) and nothing else is sent.
 */
function withoutRedirects(docker: DockerClient): DockerClient {
  const modem = docker.modem as unknown as ModemInternals;
  const build = modem.buildRequest.bind(modem);
  modem.buildRequest = (options, ...rest) => build({ ...options, maxRedirects: 0 }, ...rest);
  return docker;
}
