import { throughPolicy } from "./domain.ts";
import { jobMatches, type LabelTable } from "./table.ts";

/** kafka-exporter (`consumergroup`, `topic`) and Burrow's exporters (`group`, `topic`; their `cluster` is Kafka's). */
export const KAFKA: LabelTable = {
  name: "kafka",
  source: "danielqsj/kafka_exporter, Burrow exporters (awesome-prometheus-alerts kafka)",
  rows: [
    ...(["consumergroup", "consumer_group"] as const).map((label) => ({
      needs: [label],
      resolve: (l: Readonly<Record<string, string>>, ctx: Parameters<typeof throughPolicy>[1]) =>
        throughPolicy(
          l,
          ctx,
          `Kafka consumer group "${l[label]}"`,
          [l[label], l.service],
          (s) => s.kafka?.group === l[label],
          " and kafka.group",
        ),
    })),
    {
      needs: ["group"],
      when: (l) => Boolean(l.topic) || jobMatches(/burrow/i)(l),
      // Burrow's `cluster` is the Kafka cluster's name, not a kube context.
      resolve: (l, ctx) =>
        throughPolicy(
          l,
          { ...ctx, cluster: undefined },
          `Kafka consumer group "${l.group}" (Burrow)`,
          [l.group, l.service],
          (s) => s.kafka?.group === l.group,
          " and kafka.group",
        ),
    },
    {
      needs: ["topic"],
      resolve: (l) => ({
        notActionable: `Kafka topic "${l.topic}": a topic's partitions and replicas are the brokers' concern; no catalog action acts on a topic`,
      }),
    },
  ],
};

/** RabbitMQ: the kbudde exporter and rabbitmq_prometheus (`queue`, `vhost`). */
export const RABBITMQ: LabelTable = {
  name: "rabbitmq",
  source: "kbudde/rabbitmq_exporter, rabbitmq_prometheus (awesome-prometheus-alerts rabbitmq)",
  rows: [
    {
      needs: ["queue"],
      resolve: (l, ctx) =>
        throughPolicy(
          l,
          ctx,
          `queue "${l.queue}"${l.vhost ? ` (vhost ${l.vhost})` : ""}`,
          [l.queue, l.service],
          (s) => s.queue?.name === l.queue,
          " and queue.name",
        ),
    },
  ],
};

/** Amazon SQS through the CloudWatch exporters (`queue_name`, YACE's `dimension_QueueName`). */
export const SQS: LabelTable = {
  name: "sqs",
  source:
    "prometheus/cloudwatch_exporter, yet-another-cloudwatch-exporter (awesome-prometheus-alerts aws-cloudwatch)",
  rows: (["queue_name", "dimension_QueueName"] as const).map((label) => ({
    needs: [label],
    resolve: (l: Readonly<Record<string, string>>, ctx: Parameters<typeof throughPolicy>[1]) =>
      throughPolicy(
        l,
        ctx,
        `SQS queue "${l[label]}"`,
        [l[label], l.service],
        (s) => s.queue?.name === l[label],
        " and queue.name",
      ),
  })),
};
