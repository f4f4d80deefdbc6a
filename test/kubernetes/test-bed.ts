import { startKubernetes, type KubernetesTestBed } from '../harness/kubernetes';

/**
 * The control plane shared by the tests in this folder: started by the first test file that asks
 * (in its `before`), stopped once after the whole run. It moves into the mocha global fixture
 * (test/harness/global.ts) later; test files then import `kubernetesTestBed` from there instead.
 */
let started: Promise<KubernetesTestBed> | undefined;

export function kubernetesTestBed(): Promise<KubernetesTestBed> {
  started ??= startKubernetes();
  return started;
}

// Registered while mocha loads the first test file that imports this, so it is a root-level hook:
// it runs once, after every file.
after(async () => {
  if (!started) return;
  const testBed = await started.catch(() => undefined);
  await testBed?.stop();
});
