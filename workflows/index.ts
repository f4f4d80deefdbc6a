// The worker's workflowsPath: every workflow the fleet runs is exported from here, and nothing else
// (the SDK registers each exported function as a workflow type).
export { collectOrphanClusters } from './janitor/workflow';
export { runPipeline } from './pipeline/workflow';
export { maintainIdlePool } from './pool/workflow';
export { preview } from './preview/workflow';
