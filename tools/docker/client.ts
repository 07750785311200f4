import Docker from "dockerode";

export type DockerClient = Docker;

/** Build the Docker API client once at start-up: DOCKER_HOST (tcp:// or unix://) or the local socket. */
export function createDockerClient(dockerHost?: string): DockerClient {
  if (!dockerHost) return new Docker({ socketPath: "/var/run/docker.sock" });
  const url = new URL(dockerHost);
  if (url.protocol === "unix:") return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: "http" });
}
