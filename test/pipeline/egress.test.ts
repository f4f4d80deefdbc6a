import assert from 'node:assert/strict';
import { clusterRangeProblems, declaredCidrProblem, parseIpv4Cidr } from '../../workflows/pipeline/egress';
import { parsePipelineSpec } from '../../workflows/pipeline/spec';

const sql = { kind: 'sql' as const, script: 'INSERT INTO sink SELECT * FROM orders' };

describe('the endpoints a pipeline declares it connects to', () => {
  it('are IPv4 CIDRs with their host bits zero', () => {
    assert.deepEqual(parseIpv4Cidr('203.0.113.7/32'), { first: 3_405_803_783, last: 3_405_803_783, prefix: 32 });
    for (const bad of ['203.0.113.7/24', '203.0.113.256/32', '203.0.113/24', '203.0.113.07/32', '2001:db8::/64', 'kafka.example.com/32', '203.0.113.7/33', '203.0.113.7']) {
      assert.equal(parseIpv4Cidr(bad), undefined, bad);
      assert.match(declaredCidrProblem(bad) ?? '', /must be an IPv4 CIDR with its host bits zero/, bad);
    }
  });

  it('accept a broker or a subnet of brokers, and refuse what is not an endpoint: the internet, this host, the metadata service', () => {
    assert.equal(declaredCidrProblem('203.0.113.7/32'), undefined);
    assert.equal(declaredCidrProblem('10.20.0.0/16'), undefined);
    assert.match(declaredCidrProblem('0.0.0.0/0') ?? '', /must be \/16 or narrower: 0\.0\.0\.0\/0 is not an endpoint/);
    assert.match(declaredCidrProblem('10.0.0.0/8') ?? '', /must be \/16 or narrower/);
    assert.match(declaredCidrProblem('127.0.0.1/32') ?? '', /overlaps 127\.0\.0\.0\/8, which is loopback/);
    assert.match(declaredCidrProblem('169.254.169.254/32') ?? '', /overlaps 169\.254\.0\.0\/16, which is link-local, where clouds serve instance metadata/);
    assert.match(declaredCidrProblem('239.1.1.1/32') ?? '', /multicast or reserved/);
  });

  it('are checked by the spec, naming the entry and the rule, and default to none', () => {
    assert.deepEqual(parsePipelineSpec({ tenant: 'acme', name: 'orders', job: sql }).egress, []);
    const kafka = [{ cidr: '203.0.113.7/32', port: 9092 }];
    assert.deepEqual(parsePipelineSpec({ tenant: 'acme', name: 'orders', job: sql, egress: kafka }).egress, kafka);
    assert.throws(() => parsePipelineSpec({ tenant: 'acme', name: 'orders', job: sql, egress: [{ cidr: '169.254.169.254/32', port: 80 }] }),
      /spec\.egress\.0\.cidr: 169\.254\.169\.254\/32 overlaps 169\.254\.0\.0\/16/);
    assert.throws(() => parsePipelineSpec({ tenant: 'acme', name: 'orders', job: sql, egress: [{ cidr: '203.0.113.7/32', port: 0 }] }),
      /spec\.egress\.0\.port: must be a TCP port from 1 to 65535/);
    assert.throws(() => parsePipelineSpec({ tenant: 'acme', name: 'orders', job: sql, egress: Array.from({ length: 17 }, () => kafka[0]) }),
      /spec\.egress: must be at most 16 endpoints/);
  });

  it('may not lie in the cluster\'s own ranges, which would reopen other tenants\' pods and the kubelets', () => {
    const ranges = ['10.244.0.0/16', '10.96.0.0/12', '192.168.1.0/24'];
    assert.deepEqual(clusterRangeProblems([{ cidr: '203.0.113.7/32', port: 9092 }], ranges), []);
    assert.deepEqual(clusterRangeProblems([{ cidr: '203.0.113.7/32', port: 9092 }, { cidr: '10.100.3.4/32', port: 5432 }, { cidr: '192.168.0.0/16', port: 10250 }], ranges), [
      "egress.1.cidr: 10.100.3.4/32 overlaps the cluster's own range 10.96.0.0/12",
      "egress.2.cidr: 192.168.0.0/16 overlaps the cluster's own range 192.168.1.0/24",
    ]);
  });
});
