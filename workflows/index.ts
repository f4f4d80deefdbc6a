// The worker's workflowsPath: every workflow the fleet runs is exported from here.
export {};
