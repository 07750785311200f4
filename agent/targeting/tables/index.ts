import { BLACKBOX } from "./blackbox.ts";
import { DATABASES } from "./databases.ts";
import { DOCKER } from "./docker.ts";
import { EXPORTER_SELF, KUBERNETES } from "./kubernetes.ts";
import { MESH } from "./mesh.ts";
import { KAFKA, RABBITMQ, SQS } from "./messaging.ts";
import { NODE_EXPORTER } from "./nodeExporter.ts";
import { SERVICE } from "./service.ts";
import type { LabelTable } from "./table.ts";

/**
 * Every label convention, in the order they are tried; the first row that applies decides. Things that are not
 * workloads (a probed URL, a consumer group, a queue, a database) come first: their exporters' alerts also carry the
 * exporter's own pod or instance, which must never be mistaken for the target. Mesh labels name the destination
 * workload, before the reporting proxy's own pod. To support another convention, add a
 * table file and put it here.
 */
export const LABEL_TABLES: readonly LabelTable[] = [
  BLACKBOX,
  KAFKA,
  RABBITMQ,
  SQS,
  DATABASES,
  MESH,
  KUBERNETES,
  NODE_EXPORTER,
  DOCKER,
  SERVICE,
  EXPORTER_SELF,
];
