import { describe, expect, it } from "vitest";
import { clusterManifests } from "../../helpers/kubeManifests.ts";
import { useVirtualSim } from "./helpers.ts";

// Jobs and CronJobs driven with the real kubectl on a virtual clock (time moves only through sim.advance).
const FIXTURE = `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/migrate:1.0.0: { exit: { code: 0, afterMs: 3000, logs: ["INFO migrated 12 tables"] } }
  ghcr.io/acme/migrate:1.1.0: { exit: { code: 1, afterMs: 2000, logs: ["ERROR relation \\"orders\\" does not exist"] } }
---
${clusterManifests(1, ["batch"])}`;

const job = (name: string, image: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "batch" },
    spec: {
      ...extra,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "migrate", image }] } },
    },
  });

const { start, run, k } = useVirtualSim(FIXTURE);

describe("Jobs", () => {
  it("a Job whose pod exits 0 completes: kubectl wait, the Complete column and the pod Completed", async () => {
    const s = await start();
    expect((await run(["apply", "-f", "-"], job("migrate", "ghcr.io/acme/migrate:1.0.0"))).code).toBe(0);
    s.advance(1000);
    expect(await k("-n", "batch", "get", "jobs")).toMatch(/migrate\s+Running\s+0\/1/);
    s.advance(10_000);
    const jobs = await k("-n", "batch", "get", "jobs");
    expect(jobs.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
    expect(jobs).toMatch(/migrate\s+Complete\s+1\/1/);
    expect(await k("-n", "batch", "wait", "--for=condition=complete", "job/migrate", "--timeout=5s")).toMatch(
      /condition met/,
    );
    const pods = await k("-n", "batch", "get", "pods", "-l", "job-name=migrate");
    expect(pods).toMatch(/migrate-\S+\s+0\/1\s+Completed\s+0/);
    expect(await k("-n", "batch", "logs", "job/migrate")).toMatch(/migrated 12 tables/);
    expect(await k("-n", "batch", "describe", "job", "migrate")).toMatch(
      /Pods Statuses:\s+0 Active .* 1 Succeeded \/ 0 Failed[\s\S]*SuccessfulCreate[\s\S]*Completed\s+\S+\s+job-controller\s+Job completed/,
    );
  });

  it("a Job whose pods fail retries with back-off, then fails with BackoffLimitExceeded", async () => {
    const s = await start();
    const r = await run(
      ["apply", "-f", "-"],
      job("migrate", "ghcr.io/acme/migrate:1.1.0", { backoffLimit: 2 }),
    );
    expect(r.code, r.stderr).toBe(0);
    s.advance(5_000);
    let pods = await k("-n", "batch", "get", "pods", "-l", "job-name=migrate");
    expect(pods).toMatch(/migrate-\S+\s+0\/1\s+Error\s+0/);
    expect(pods.trim().split("\n")).toHaveLength(2); // the back-off (10 s) holds the next pod
    for (let i = 0; i < 12; i++) s.advance(10_000);
    pods = await k("-n", "batch", "get", "pods", "-l", "job-name=migrate");
    expect(pods.trim().split("\n")).toHaveLength(4); // backoffLimit 2: three pods in all, all Error
    expect(await k("-n", "batch", "get", "jobs")).toMatch(/migrate\s+Failed\s+0\/1/);
    const cond = await k(
      "-n",
      "batch",
      "get",
      "job",
      "migrate",
      "-o",
      'jsonpath={range .status.conditions[*]}{.type}={.reason}{"\\n"}{end}',
    );
    expect(cond).toContain("Failed=BackoffLimitExceeded");
    expect(await k("-n", "batch", "get", "events", "--field-selector", "involvedObject.kind=Job")).toMatch(
      /Warning\s+BackoffLimitExceeded\s+job\/migrate\s+Job has reached the specified backoff limit/,
    );
    expect(await k("-n", "batch", "logs", "-l", "job-name=migrate", "--tail=1")).toMatch(
      /relation "orders" does not exist/,
    );
  });

  it("a shell command's exit status decides; restartPolicy OnFailure restarts in place and counts", async () => {
    const s = await start();
    const body = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "check", namespace: "batch" },
      spec: {
        backoffLimit: 1,
        template: {
          spec: {
            restartPolicy: "OnFailure",
            containers: [
              { name: "c", image: "busybox:1.36", command: ["sh", "-c", "wget -q http://x || exit 3"] },
            ],
          },
        },
      },
    };
    expect((await run(["apply", "-f", "-"], JSON.stringify(body))).code).toBe(0);
    s.advance(4_000);
    const st = await k(
      "-n",
      "batch",
      "get",
      "pods",
      "-l",
      "job-name=check",
      "-o",
      "jsonpath={.items[0].status.containerStatuses[0].lastState.terminated.exitCode}",
    );
    expect(st).toBe("3");
    for (let i = 0; i < 6; i++) s.advance(10_000);
    expect(await k("-n", "batch", "get", "jobs")).toMatch(/check\s+Failed\s+0\/1/);
    // The running pod of a failed Job is deleted.
    expect((await k("-n", "batch", "get", "pods", "-l", "job-name=check", "-o", "name")).trim()).toBe("");
  });
});

describe("CronJobs", () => {
  it("creates a Job per schedule time, keeps the history limits and reports the last schedule", async () => {
    const s = await start();
    const cj = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "report", namespace: "batch" },
      spec: {
        schedule: "*/5 * * * *",
        successfulJobsHistoryLimit: 2,
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: "Never",
                containers: [{ name: "r", image: "ghcr.io/acme/migrate:1.0.0" }],
              },
            },
          },
        },
      },
    };
    expect((await run(["apply", "-f", "-"], JSON.stringify(cj))).code).toBe(0);
    for (let i = 0; i < 20 * 6; i++) s.advance(10_000); // 20 minutes
    const table = await k("-n", "batch", "get", "cronjobs");
    expect(table.split("\n")[0]).toMatch(
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE/,
    );
    expect(table).toMatch(/report\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+\d+m?\d*s?/);
    const jobs = (await k("-n", "batch", "get", "jobs", "-o", "name")).trim().split("\n");
    expect(jobs).toHaveLength(2);
    for (const j of jobs) expect(j).toMatch(/^job\.batch\/report-\d+$/);
    const events = await k("-n", "batch", "get", "events", "--field-selector", "involvedObject.kind=CronJob");
    expect(events).toMatch(/SuccessfulCreate\s+cronjob\/report\s+Created job report-\d+/);
    expect(events).toMatch(
      /SawCompletedJob\s+cronjob\/report\s+Saw completed job: report-\d+, condition: Complete/,
    );
    expect(events).toMatch(/SuccessfulDelete\s+cronjob\/report\s+Deleted job report-\d+/);
    // A manual run from the CronJob's template (kubectl create job --from sends protobuf, which is refused).
    const manual = await run(["-n", "batch", "create", "job", "manual", "--from=cronjob/report"]);
    expect(manual.stderr).toMatch(/JSON bodies only/);
  });
});
