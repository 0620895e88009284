// The shapes of GET /api/v1/rollouts and /api/v1/rollouts/{id} (docs/API.md), as far as
// the UI reads them.

export type PhaseName = "schedule" | "image_pull" | "start" | "ready" | "total";

export interface PodProblem {
  reason: string;
  message: string;
  count: number;
}

export interface PodTimeline {
  name: string;
  node: string;
  state: string;
  created: string | null;
  scheduled: string | null;
  pull_started: string | null;
  pull_finished: string | null;
  started: string | null;
  ready: string | null;
  image_present: boolean;
  phases_seconds: Partial<Record<PhaseName, number | null>>;
  problems: PodProblem[];
}

export interface ProgressPoint {
  time: string;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  total: number;
}

export interface Rollout {
  id: string;
  namespace: string;
  deployment: string;
  revision: number;
  outcome: string;
  reason: string;
  message: string;
  start: string;
  end: string | null;
  duration_seconds: number | null;
  desired: number;
  pods_total: number;
  pods_ready: number;
  pods_with_problems: number;
  new_replicaset: string;
  old_replicasets: string[];
  slowest: {
    pod: string;
    total_seconds: number | null;
    slowest_phase: PhaseName;
    slowest_phase_seconds: number | null;
  } | null;
  progress?: ProgressPoint[];
  pods?: PodTimeline[];
}
