import assert from 'node:assert/strict';
import { DEFAULT_TENANT_PLAN } from '../../activities/runtime/kubernetes/manifests/tenant';
import { applicationSpecProblems, declaredEgressProblems, imageProblems, planMaxParallelism, sessionSpecProblems } from '../../activities/runtime/kubernetes/validation';
import { CLUSTER_DNS_PODS } from '../../activities/runtime/kubernetes/manifests/tenant';
import type { ApplicationClusterSpec } from '../../activities/runtime/types';
import { jarConnection, sessionCluster, sqlPipeline } from './fixtures';

const IMAGE = 'flink:2.3.0-java17';
const problems = (spec: ApplicationClusterSpec, image = IMAGE) => applicationSpecProblems(spec, image, DEFAULT_TENANT_PLAN, 51);

describe('kubernetes spec validation, before any API call', () => {
  it('accepts the specs the fleet deploys', () => {
    assert.deepEqual(problems(sqlPipeline('acme', 'orders')), []);
    assert.deepEqual(problems(jarConnection('acme', 'kafka', { secretEnv: [{ env: 'PASSWORD', secretName: 'kafka.creds', key: 'pw' }] })), []);
    assert.deepEqual(sessionSpecProblems(sessionCluster('acme', 'previews'), IMAGE, DEFAULT_TENANT_PLAN, 51), []);
    for (const image of ['flink:2.3.0', 'registry.example.com:5000/team/flink:2.3.0-java17', `flink@sha256:${'a'.repeat(64)}`]) {
      assert.deepEqual(imageProblems(image), [], image);
    }
  });

  const bad: ReadonlyArray<readonly [string, ApplicationClusterSpec, RegExp, string?]> = [
    ['an invalid tenant name', sqlPipeline('Acme_Corp', 'orders'), /^tenant: must be a DNS-1123 label/],
    ['an invalid cluster name', sqlPipeline('acme', 'orders.v2'), /^name: must be a DNS-1123 label/],
    ['a jar named by a place, not a digest', jarConnection('acme', 'kafka', { job: { kind: 'jar', digest: 'https://repo.example.com/x.jar', entryClass: 'com.example.Job', args: [] } }),
      /^job\.digest: must be sha256:<64 lowercase hex digits>/],
    ['negative cores', sqlPipeline('acme', 'orders', { taskManager: { cpu: -1, memoryMb: 1024 } }), /^taskManager\.cpu: must be more than 0 cores/],
    ['zero memory', sqlPipeline('acme', 'orders', { jobManager: { cpu: 1, memoryMb: 0 } }), /^jobManager\.memoryMb: must be a whole number of at least 768 MB/],
    ['an absurd container', sqlPipeline('acme', 'orders', { taskManager: { cpu: 1, memoryMb: 10_000_000 } }), /^taskManager\.memoryMb: must be at most 32768 MB/],
    ['a container with more disk than the plan\'s largest', sqlPipeline('acme', 'orders', { taskManager: { cpu: 1, memoryMb: 1024, ephemeralStorageMb: 40_000 } }),
      /^taskManager\.ephemeralStorageMb: must be at most 32768 MB \(the tenant's largest container\)/],
    ['too little disk for a JVM\'s logs', sqlPipeline('acme', 'orders', { jobManager: { cpu: 1, memoryMb: 1024, ephemeralStorageMb: 100 } }),
      /^jobManager\.ephemeralStorageMb: must be a whole number of at least 512 MB/],
    ['more disk than the quota in all', sqlPipeline('acme', 'orders', { parallelism: 16, taskManager: { cpu: 0.5, memoryMb: 1024, ephemeralStorageMb: 16_384 } }),
      /^resources: the cluster needs 264192 MB of ephemeral storage, more than the tenant's quota of 131072 MB/],
    ['more than the quota in all', sqlPipeline('acme', 'orders', { parallelism: 64, taskManager: { cpu: 1, memoryMb: 2048 } }),
      /^resources: the cluster needs 64\.5 cores, more than the tenant's quota of 16/],
    ['an image name with spaces', sqlPipeline('acme', 'orders'), /^image: must be a container image reference/, 'flink 2.3'],
    ['a job id that is not 32 hex characters', sqlPipeline('acme', 'orders', { jobId: 'job-1' }), /^jobId: must be 32 lowercase hex/],
    ['a fractional parallelism', sqlPipeline('acme', 'orders', { parallelism: 1.5 }), /^parallelism: must be a whole number/],
    ['a secret env var with a bad name', sqlPipeline('acme', 'orders', { secretEnv: [{ env: 'MY-VAR', secretName: 's', key: 'k' }] }),
      /^secretEnv\[0\]\.env: must be an environment variable name/],
  ];
  it('refuses a role\'s default disk when the plan\'s largest container is smaller, saying it was the default', () => {
    const plan = { ...DEFAULT_TENANT_PLAN, maxContainer: { ...DEFAULT_TENANT_PLAN.maxContainer, ephemeralStorageMb: 3072 } };
    assert.deepEqual(applicationSpecProblems(sqlPipeline('acme', 'orders'), IMAGE, plan, 51),
      ["taskManager.ephemeralStorageMb: the taskmanager's default of 4096 MB is more than the tenant's largest container (3072 MB); set one of at most 3072 MB"]);
  });

  for (const [what, spec, rule, image] of bad) {
    it(`rejects ${what}, naming the field and the rule`, () => {
      const found = problems(spec, image);
      assert.ok(found.some((p) => rule.test(p)), found.join('; ') || 'no problem found');
    });
  }
});

describe('the endpoints a pipeline declares, at deploy', () => {
  const wall = { dns: [CLUSTER_DNS_PODS], apiServer: [{ cidr: '10.0.0.1/32', port: 6443 }], objectStorage: [], clusterRanges: ['10.244.0.0/16', '10.96.0.0/12'] };

  it('are refused inside the cluster\'s own ranges, which only the worker knows, and by the spec\'s own rules again', () => {
    assert.deepEqual(declaredEgressProblems([{ cidr: '203.0.113.7/32', port: 9092 }], wall), []);
    assert.deepEqual(declaredEgressProblems([{ cidr: '10.244.3.0/24', port: 8081 }], wall), ["egress.0.cidr: 10.244.3.0/24 overlaps the cluster's own range 10.244.0.0/16"]);
    assert.match(declaredEgressProblems([{ cidr: '169.254.169.254/32', port: 80 }], undefined).join(), /^egress\.0\.cidr: 169\.254\.169\.254\/32 overlaps 169\.254\.0\.0\/16/);
  });
});

describe('the widest parallelism a tenant\'s plan holds', () => {
  const plan = { ...DEFAULT_TENANT_PLAN, cpu: 3, memoryMb: 8192, pods: 10 };

  it('is the TaskManagers the tightest of the quota\'s sums leaves room for, times their slots', () => {
    // 0.5 cores each: the JobManager and 5 TaskManagers fill 3 cores before memory (7) or pods (9) run out.
    assert.equal(planMaxParallelism(sqlPipeline('acme', 'orders', { slotsPerTaskManager: 2 }), plan), 10);
    assert.equal(planMaxParallelism(sqlPipeline('acme', 'orders'), { ...plan, pods: 3 }), 2, 'the pods: a JobManager and 2 TaskManagers');
    assert.equal(planMaxParallelism(sqlPipeline('acme', 'orders', { taskManager: { cpu: 0.5, memoryMb: 4096 } }), plan), 1, 'the memory');
    assert.equal(planMaxParallelism(sqlPipeline('acme', 'orders'), { ...plan, cpu: 0.75 }), 0, 'not one TaskManager fits');
  });

  it('agrees with the deploy\'s own check: at the bound the cluster is accepted, one TaskManager more is refused', () => {
    for (const slots of [1, 2, 3]) {
      const spec = sqlPipeline('acme', 'orders', { slotsPerTaskManager: slots });
      const max = planMaxParallelism(spec, plan);
      assert.deepEqual(applicationSpecProblems({ ...spec, parallelism: max }, IMAGE, plan, 51), [], `${slots} slots, parallelism ${max}`);
      assert.deepEqual(applicationSpecProblems({ ...spec, parallelism: max + 1 }, IMAGE, plan, 51),
        ['resources: the cluster needs 3.5 cores, more than the tenant\'s quota of 3']);
    }
  });
});
