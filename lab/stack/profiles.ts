/** Timing of the lab's Prometheus and Alertmanager: `fast` for tests and the demo, `realistic` for users. */
export interface StackProfile {
  name: "fast" | "realistic";
  scrapeInterval: string;
  scrapeTimeout: string;
  evaluationInterval: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  rulesFile: string;
}

const rules = (name: string) => new URL(`../prometheus/rules/${name}.yml`, import.meta.url).pathname;

export const PROFILES: Record<StackProfile["name"], StackProfile> = {
  fast: {
    name: "fast",
    scrapeInterval: "200ms",
    scrapeTimeout: "150ms",
    evaluationInterval: "200ms",
    groupWait: "0s",
    groupInterval: "100ms",
    repeatInterval: "1h",
    rulesFile: rules("fast"),
  },
  realistic: {
    name: "realistic",
    scrapeInterval: "15s",
    scrapeTimeout: "10s",
    evaluationInterval: "15s",
    groupWait: "30s",
    groupInterval: "5m",
    repeatInterval: "4h",
    rulesFile: rules("realistic"),
  },
};
