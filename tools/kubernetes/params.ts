import { z } from "zod";

/** The parameters that name one Deployment, shared by the tools that read or change a Deployment. */
export const deploymentParams = {
  namespace: z.string().min(1).describe("Namespace of the deployment."),
  deployment: z.string().min(1).describe("Deployment name."),
};

/** The parameters that name one pod, shared by the tools that read or change a pod. */
export const podParams = {
  namespace: z.string().min(1).describe("Namespace of the pod."),
  pod: z.string().min(1).describe("Pod name."),
};
