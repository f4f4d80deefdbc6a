/**
 * How long one workflow task may take before Temporal gives it to another attempt (its default is
 * 10 s), set on every workflow the fleet starts; continue-as-new keeps it. A task that times out is
 * replayed from the history's start on its next attempt, so a worker starved for CPU, which took 11.7
 * and 14.6 s over tasks that take milliseconds when idle (2 cores at load 35, seen in CI), falls further
 * behind with each attempt and its workflows answer no query meanwhile. The price: a worker that dies
 * while it holds a task delays that one workflow by up to this long.
 */
export const WORKFLOW_TASK_TIMEOUT = '30s';
