import { dockerContainerNameProblem } from "../names.ts";
import { dockerContainer, dockerService, type LabelTable } from "./table.ts";

/** cAdvisor on a Docker host, Docker Compose, and AegisOps's own Docker rules. */
export const DOCKER: LabelTable = {
  name: "docker",
  source:
    "google/cadvisor (awesome-prometheus-alerts docker-containers), Docker Compose and Swarm labels, AegisOps rules",
  rows: [
    {
      // cAdvisor turns a container's Docker labels into container_label_* series labels; its `name` is the very
      // container the series is about, so that member is the one acted on, not whichever sibling looks down.
      needs: ["container_label_com_docker_compose_service"],
      resolve: (l) =>
        dockerService(l.container_label_com_docker_compose_service!, {
          project: l.container_label_com_docker_compose_project ?? l.compose_project,
          member: l.name,
        }),
    },
    {
      needs: ["compose_service"],
      resolve: (l) => dockerService(l.compose_service!, { project: l.compose_project }),
    },
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
      // A rule that kept only `by (instance, name)` (awesome-prometheus-alerts' cAdvisor rules): `instance` is the
      // cAdvisor of some host (`node-b:8080`), whatever its job is called. Tried after every other convention, and only
      // with a name in Docker's grammar; the Docker platform then checks that the container exists before acting.
      needs: ["name", "instance"],
      when: (l) => !l.namespace && !l.pod && dockerContainerNameProblem(l.name!) === undefined,
      resolve: (l) => dockerContainer(l.name!),
    },
    {
      // A Swarm task's container is named after its task (`<service>.<slot>.<task id>`), which cAdvisor exports
      // as this label; the task's container is what the Docker actions reach.
      needs: ["container_label_com_docker_swarm_task_name"],
      resolve: (l) => dockerContainer(l.container_label_com_docker_swarm_task_name!),
    },
    {
      needs: ["container_label_com_docker_swarm_service_name"],
      resolve: (l) => ({
        notActionable: `Swarm service ${l.container_label_com_docker_swarm_service_name}: no catalog action acts on a Swarm service as a whole (the swarm manager owns its tasks); an alert naming one task container (cAdvisor's name or the task name label) can be acted on`,
      }),
    },
    {
      needs: ["container"],
      // Without a namespace or pod: a Kubernetes container label with its pod aggregated away names no container.
      when: (l) => !l.namespace && !l.pod,
      resolve: (l) => dockerContainer(l.container!),
    },
  ],
};
