import type { SimContext } from "./controllers/context.ts";
import { R, controllerOf } from "./controllers/context.ts";
import type { CronJob } from "./controllers/cronjob.ts";
import { nextScheduleTime } from "./controllers/cronjob.ts";
import type { Job } from "./controllers/job.ts";
import type { Gauge } from "./metricsGauge.ts";

const seconds = (t: string | null | undefined): number | undefined => (t ? Date.parse(t) / 1000 : undefined);

/** kube-state-metrics' Job and CronJob series (names, labels and help as kube-state-metrics 2.x prints them). */
export function batchMetrics(ctx: SimContext, g: Gauge): void {
  for (const o of ctx.store.view(R.jobs)) {
    const j = o as Job;
    const id = { namespace: j.metadata.namespace!, job_name: j.metadata.name };
    const owner = controllerOf(j);
    g("kube_job_info", "Information about job.", id, 1);
    g(
      "kube_job_owner",
      "Information about the Job's owner.",
      {
        ...id,
        owner_kind: owner?.kind ?? "",
        owner_name: owner?.name ?? "",
        owner_is_controller: owner ? "true" : "false",
      },
      1,
    );
    const created = seconds(j.metadata.creationTimestamp);
    if (created !== undefined) g("kube_job_created", "Unix creation timestamp", id, created);
    g(
      "kube_job_spec_parallelism",
      "The maximum desired number of pods the job should run at any given time.",
      id,
      j.spec.parallelism ?? 1,
    );
    g(
      "kube_job_spec_completions",
      "The desired number of successfully finished pods the job should be run with.",
      id,
      j.spec.completions ?? 1,
    );
    if (j.spec.activeDeadlineSeconds !== undefined)
      g(
        "kube_job_spec_active_deadline_seconds",
        "The duration in seconds relative to the startTime that the job may be active before the system tries to terminate it.",
        id,
        j.spec.activeDeadlineSeconds,
      );
    g("kube_job_status_active", "The number of actively running pods.", id, j.status?.active ?? 0);
    g(
      "kube_job_status_succeeded",
      "The number of pods which reached Phase Succeeded.",
      id,
      j.status?.succeeded ?? 0,
    );
    g(
      "kube_job_status_failed",
      "The number of pods which reached Phase Failed and the reason for failure.",
      id,
      j.status?.failed ?? 0,
    );
    const start = seconds(j.status?.startTime);
    if (start !== undefined)
      g(
        "kube_job_status_start_time",
        "StartTime represents time when the job was acknowledged by the Job Manager.",
        id,
        start,
      );
    const done = seconds(j.status?.completionTime);
    if (done !== undefined)
      g(
        "kube_job_status_completion_time",
        "CompletionTime represents time when the job was completed.",
        id,
        done,
      );
    for (const [type, name, help] of [
      ["Complete", "kube_job_complete", "The job has completed its execution."],
      ["Failed", "kube_job_failed", "The job has failed its execution."],
    ] as const) {
      const c = j.status?.conditions?.find((x) => x.type === type);
      if (!c) continue;
      for (const condition of ["true", "false", "unknown"])
        g(name, help, { ...id, condition }, c.status.toLowerCase() === condition ? 1 : 0);
    }
  }
  const now = ctx.clock.now();
  for (const o of ctx.store.view(R.cronjobs)) {
    const cj = o as CronJob;
    const id = { namespace: cj.metadata.namespace!, cronjob: cj.metadata.name };
    g(
      "kube_cronjob_info",
      "Info about cronjob.",
      {
        ...id,
        schedule: cj.spec.schedule,
        concurrency_policy: cj.spec.concurrencyPolicy ?? "Allow",
        timezone: cj.spec.timeZone ?? "local",
      },
      1,
    );
    const created = seconds(cj.metadata.creationTimestamp);
    if (created !== undefined) g("kube_cronjob_created", "Unix creation timestamp", id, created);
    g(
      "kube_cronjob_status_active",
      "Active holds pointers to currently running jobs.",
      id,
      cj.status?.active?.length ?? 0,
    );
    const last = seconds(cj.status?.lastScheduleTime);
    if (last !== undefined)
      g(
        "kube_cronjob_status_last_schedule_time",
        "LastScheduleTime keeps information of when was the last time the job was successfully scheduled.",
        id,
        last,
      );
    const ok = seconds(cj.status?.lastSuccessfulTime);
    if (ok !== undefined)
      g(
        "kube_cronjob_status_last_successful_time",
        "LastSuccessfulTime keeps information of when was the last time the job was completed successfully.",
        id,
        ok,
      );
    g(
      "kube_cronjob_spec_suspend",
      "Suspend flag tells the controller to suspend subsequent executions.",
      id,
      cj.spec.suspend ? 1 : 0,
    );
    if (cj.spec.startingDeadlineSeconds !== undefined)
      g(
        "kube_cronjob_spec_starting_deadline_seconds",
        "Deadline in seconds for starting the job if it misses scheduled time for any reason.",
        id,
        cj.spec.startingDeadlineSeconds,
      );
    g(
      "kube_cronjob_spec_successful_job_history_limit",
      "Successful job history limit tells the controller how many completed jobs should be preserved.",
      id,
      cj.spec.successfulJobsHistoryLimit ?? 3,
    );
    g(
      "kube_cronjob_spec_failed_job_history_limit",
      "Failed job history limit tells the controller how many failed jobs should be preserved.",
      id,
      cj.spec.failedJobsHistoryLimit ?? 1,
    );
    // As kube-state-metrics: the next time after the last schedule (or creation), even when that is past.
    const from = Date.parse(
      cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? new Date(now).toISOString(),
    );
    const next = nextScheduleTime(cj, from);
    if (next !== undefined)
      g(
        "kube_cronjob_next_schedule_time",
        "Next time the cronjob should be scheduled. The time after lastScheduleTime, or after the cron job's creation time if it's never been scheduled. Use this to determine if the job is delayed.",
        id,
        next / 1000,
      );
  }
}
