import assert from 'node:assert/strict';
import { clusterName, clusterStorageUri, MAX_CLUSTER_NAME, tenantStoragePrefix } from '../../activities/names';
import { objectNames } from '../../activities/runtime/kubernetes/manifests/labels';
import { flinkHaConfigMapSelector } from '../../activities/runtime/kubernetes/manifests/ha';
import { clusterLayout, clusterStorageDir } from '../../activities/runtime/local/layout';
import { seededRandom } from '../harness/random';

/**
 * Two different (tenant, name) pairs must never share anything derived from them: a shared cluster
 * name once let one tenant's failed start delete another tenant's running cluster. Checked over
 * generated names, with most of them aimed at the weak spots (dashes, the hashing threshold, names
 * equal up to where they are truncated).
 */
const DNS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Pair = readonly [tenant: string, name: string];

function generator(seed: number) {
  const random = seededRandom(seed);
  const int = (max: number): number => Math.floor(random() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const label = (length: number, alphabet: string): string => {
    let value = pick([...'ab1']);
    while (value.length < length - 1) value += alphabet[int(alphabet.length)];
    return length > 1 ? value + pick([...'ab2']) : value;
  };
  const dashy = (length: number): string => label(Math.max(1, length), 'a-b-');
  return {
    /** A tenant (≤ 30) and a name (≤ 40), as the spec allows them. */
    pair(): Pair {
      const kind = int(4);
      if (kind === 0) return [label(1 + int(30), 'abc-0'), label(1 + int(40), 'abc-0')];
      if (kind === 1) return [dashy(1 + int(6)), dashy(1 + int(6))];
      // Around the threshold: the joined name is a few characters either side of the longest kept whole.
      const tenantLength = 1 + int(30);
      const nameLength = Math.min(40, Math.max(1, MAX_CLUSTER_NAME - 2 - tenantLength + int(7) - 3));
      return kind === 2 ? [dashy(tenantLength), dashy(nameLength)] : [label(tenantLength, 'a-'), label(nameLength, 'a-')];
    },
    /** The same pair with one character changed past the point where long names are cut. */
    tailVariant([tenant, name]: Pair): Pair {
      if (name.length < 3) return [tenant, `${name}x`];
      const at = name.length - 2;
      return [tenant, `${name.slice(0, at)}${name[at] === 'a' ? 'b' : 'a'}${name.slice(at + 1)}`];
    },
    /** The same characters joined elsewhere: `a-b`/`c` against `a`/`b-c`. */
    shifted([tenant, name]: Pair): Pair | undefined {
      const joined = `${tenant}-${name}`;
      const cut = joined.indexOf('-', 1 + int(joined.length - 2));
      if (cut <= 0 || cut >= joined.length - 1) return undefined;
      const shifted: Pair = [joined.slice(0, cut), joined.slice(cut + 1)];
      return shifted.every((part) => DNS.test(part)) && shifted[0].length <= 30 && shifted[1].length <= 40 ? shifted : undefined;
    },
  };
}

function generatedPairs(seed: number, count: number): Pair[] {
  const gen = generator(seed);
  const pairs = new Map<string, Pair>();
  const add = (pair: Pair | undefined): void => {
    if (pair && pair.every((part) => DNS.test(part))) pairs.set(JSON.stringify(pair), pair);
  };
  while (pairs.size < count) {
    const pair = gen.pair();
    add(pair);
    add(gen.tailVariant(pair));
    add(gen.shifted(pair));
  }
  return [...pairs.values()];
}

/** Every identity one pair owns; an identity is scoped where two of them could meet (one namespace, one disk). */
function identities([tenant, name]: Pair): string[] {
  const cluster = clusterName(tenant, name);
  const namespace = `flink-fleet-${tenant}`;
  const objects = Object.entries(objectNames(cluster)).map(([role, object]) => `object ${namespace}/${kindOf(role)}/${object}`);
  return [
    `cluster ${cluster}`,
    `folder ${clusterLayout('/state', cluster).dir}/`,
    `local storage ${clusterStorageDir('/state', tenant, cluster)}/`,
    `storage ${clusterStorageUri('s3://bucket/fleet', tenant, name)}/`,
    `ha ${namespace}/${flinkHaConfigMapSelector(cluster)}`,
    // Flink's own HA ConfigMap, named after the cluster id.
    `object ${namespace}/ConfigMap/${cluster}-cluster-config-map`,
    ...objects,
  ];
}

/** Names only meet names of the same kind; all but the ConfigMap are lumped together, which is stricter. */
function kindOf(role: string): string {
  return role === 'config' ? 'ConfigMap' : 'other';
}

describe('names derived from tenant and pipeline name', () => {
  it('keep tenant `a-b` with `c` apart from tenant `a` with `b-c`', () => {
    const first = identities(['a-b', 'c']);
    const second = new Set(identities(['a', 'b-c']));
    assert.deepEqual(first.filter((id) => second.has(id)), []);
    assert.notEqual(clusterName('a-b', 'c'), clusterName('a', 'b-c'));
  });

  it('are DNS-1123 labels short enough for every object suffix', () => {
    for (const [tenant, name] of generatedPairs(7, 3_000)) {
      const cluster = clusterName(tenant, name);
      assert.ok(cluster.length <= MAX_CLUSTER_NAME && DNS.test(cluster), `${tenant}/${name} -> ${cluster}`);
      for (const object of Object.values(objectNames(cluster))) assert.ok(object.length <= 63 && DNS.test(object), object);
    }
  });

  for (const seed of [1, 2, 3]) {
    it(`never give two pairs the same cluster, folder, storage, HA id or object (seed ${seed})`, () => {
      const owners = new Map<string, string>();
      for (const pair of generatedPairs(seed, 20_000)) {
        for (const id of identities(pair)) {
          const owner = owners.get(id);
          assert.ok(owner === undefined || owner === pair.join('/'), `${id} is both ${owner}'s and ${pair.join('/')}'s`);
          owners.set(id, pair.join('/'));
        }
      }
    });
  }

  it('give every pair storage that no other pair\'s storage lies inside', () => {
    const prefixes = generatedPairs(11, 4_000).map(([tenant, name]) => `${clusterStorageUri('s3://b/f', tenant, name)}/`).sort();
    // Sorted, a prefix of another is directly followed by one that starts with it.
    for (let i = 1; i < prefixes.length; i++) assert.ok(!(prefixes[i] as string).startsWith(prefixes[i - 1] as string), `${prefixes[i - 1]} holds ${prefixes[i]}`);
    const tenants = ['a', 'a-b', 'ab', 'a-bc'].map((tenant) => tenantStoragePrefix('s3://b/f/', tenant));
    for (const a of tenants) for (const b of tenants) if (a !== b) assert.ok(!b.startsWith(a), `${a} holds ${b}`);
  });

  it('keep the storage of a tenant inside the tenant\'s prefix', () => {
    for (const [tenant, name] of generatedPairs(5, 500)) {
      assert.ok(`${clusterStorageUri('s3://b/f', tenant, name)}/`.startsWith(tenantStoragePrefix('s3://b/f', tenant)));
    }
  });
});
