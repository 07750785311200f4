import { dockerContainer, dockerService, type LabelTable } from "./table.ts";

/** cAdvisor on a Docker host, Docker Compose, and AegisOps's own Docker rules. */
export const DOCKER: LabelTable = {
  name: "docker",
  source:
    "google/cadvisor (awesome-prometheus-alerts docker-containers), Docker Compose labels, AegisOps rules",
  rows: [
    {
      // cAdvisor turns a container's Docker labels into container_label_* series labels.
      needs: ["container_label_com_docker_compose_service"],
      resolve: (l) => dockerService(l.container_label_com_docker_compose_service!),
    },
    { needs: ["compose_service"], resolve: (l) => dockerService(l.compose_service!) },
    {
      // cAdvisor's `name` is the Docker container name; `image` or a Docker cgroup `id` says it is one (many other
      // exporters have a `name` label of their own); so does a cadvisor job or instance when a rule kept only those.
      needs: ["name"],
      when: (l) =>
        Boolean(l.image) ||
        /^\/(docker\/|system\.slice\/docker-)/.test(l.id ?? "") ||
        /cadvisor/i.test(l.job ?? "") ||
        /cadvisor/i.test(l.instance ?? ""),
      resolve: (l) => dockerContainer(l.name!),
    },
    {
      needs: ["container"],
      // Without a namespace or pod: a Kubernetes container label with its pod aggregated away names no container.
      when: (l) => !l.namespace && !l.pod,
      resolve: (l) => dockerContainer(l.container!),
    },
  ],
};
