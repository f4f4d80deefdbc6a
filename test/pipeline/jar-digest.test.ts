import assert from 'node:assert/strict';
import { tenantArtifactUri } from '../../activities/names';
import { problemsOf } from './fixtures';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function withJar(job: Record<string, unknown>): unknown {
  return { tenant: 'acme', name: 'connector', job: { kind: 'jar', entryClass: 'com.example.Job', ...job } };
}

describe('spec.job.jar: a jar named by its digest', () => {
  it('accepts sha256:<64 lowercase hex digits>', () => {
    assert.deepEqual(problemsOf(withJar({ jar: DIGEST })), []);
  });

  for (const [what, jar] of [
    ['an https URL', 'https://repo.example.com/jobs/connector-1.0.jar'],
    ['a file URL', 'file:///var/fleet/storage/acme/artifacts/sha256/x.jar'],
    ['a path', '/opt/flink/lib/flink-dist.jar'],
    ['upper-case hex', DIGEST.toUpperCase().replace('SHA256', 'sha256')],
    ['a short digest', DIGEST.slice(0, -1)],
    ['a long digest', `${DIGEST}0`],
    ['another algorithm', `md5:${'0'.repeat(32)}`],
    ['a digest with a path after it', `${DIGEST}/../../other.jar`],
    ['a digest and a newline', `${DIGEST}\n`],
  ]) {
    it(`refuses ${what}, naming the field and the rule`, () => {
      assert.deepEqual(problemsOf(withJar({ jar })), [
        'spec.job.jar: must be sha256:<64 lowercase hex digits>, the digest `flink-fleet artifact put` printed for the jar',
      ]);
    });
  }

  it('refuses the old jarUri field: a tenant names no place to fetch from', () => {
    const problems = problemsOf(withJar({ jar: DIGEST, jarUri: 'https://repo.example.com/x.jar' }));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^spec\.job: Unrecognized key: "jarUri"/);
  });

  it('is fetched from <storage root>/<tenant>/artifacts/sha256/<hex>.jar, the tenant\'s own area', () => {
    assert.equal(tenantArtifactUri('s3://bucket/fleet/', 'acme', DIGEST), `s3://bucket/fleet/acme/artifacts/sha256/${'0123456789abcdef'.repeat(4)}.jar`);
    assert.equal(tenantArtifactUri('file:///var/fleet/storage', 'a-b', DIGEST), `file:///var/fleet/storage/a-b/artifacts/sha256/${'0123456789abcdef'.repeat(4)}.jar`);
  });
});
