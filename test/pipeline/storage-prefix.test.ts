import assert from 'node:assert/strict';
import { isStrictlyInside } from '../../workflows/storage-prefix';

/** A small seeded generator (mulberry32): the same cases on every run, many more than one would write by hand. */
function generator(seed: number): { int(max: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return { int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

const random = generator(20_261_126);
const word = (alphabet: string, min: number, max: number): string =>
  Array.from({ length: min + random.int(max - min + 1) }, () => alphabet[random.int(alphabet.length)]).join('');
/** A segment the fleet or Flink could write: never '.', '..' or empty. */
const segment = (): string => {
  const candidate = word('abcdefghijklmnopqrstuvwxyz0123456789-_.', 1, 12);
  return /^\.+$/.test(candidate) ? `${candidate}x` : candidate;
};
const tenantName = (): string => word('abcdefghijklmnopqrstuvwxyz', 1, 1) + word('abcdefghijklmnopqrstuvwxyz0123456789-', 0, 10);

interface Case {
  /** The tenant's folder, written without a trailing slash. */
  readonly folder: string;
  readonly root: string;
  readonly tenant: string;
  readonly relative: readonly string[];
}

function generateCase(): Case {
  const root = random.pick(['s3://fleet-state', 's3://bucket/flink-fleet', 'file:///var/fleet/storage', 'gs://b/x/y', 'file:///state']);
  const tenant = tenantName();
  const relative = Array.from({ length: 1 + random.int(4) }, segment);
  return { folder: `${root}/${tenant}`, root, tenant, relative };
}

const CASES: readonly Case[] = Array.from({ length: 400 }, generateCase);
const slash = (): string => random.pick(['', '/']);

/** Asserts a property of every case, naming the first that breaks it. */
function forEveryCase(property: (c: Case) => readonly (readonly [string, string, boolean])[]): void {
  for (const c of CASES) {
    for (const [uri, folder, inside] of property(c)) assert.equal(isStrictlyInside(uri, folder), inside, `${uri} inside ${folder}`);
  }
}

describe('isStrictlyInside (one rule for restore paths, file:// jars and filesystem tables)', () => {
  it('accepts whatever lies below the folder, the folder written with or without its trailing slash, the path with or without one', () => {
    forEveryCase(({ folder, relative }) => [[`${folder}/${relative.join('/')}${slash()}`, `${folder}${slash()}`, true]]);
  });

  it('refuses the folder itself: a tenant\'s root is not a savepoint, a jar or a table', () => {
    forEveryCase(({ folder }) => [[`${folder}${slash()}`, `${folder}${slash()}`, false]]);
  });

  it('refuses a sibling whose name extends the tenant\'s (acme and acme2), and the folder\'s parent', () => {
    forEveryCase(({ folder, root, tenant, relative }) => [
      [`${folder}${random.pick(['2', '-corp', 'x', '_', '.'])}/${relative.join('/')}`, folder, false],
      [`${root}/${relative[0] === tenant ? `${tenant}x` : relative[0]}/${relative.join('/')}`, folder, false],
    ]);
  });

  it('refuses .. and . segments, written plainly or percent-encoded in any case', () => {
    forEveryCase(({ folder, relative }) => {
      const at = random.int(relative.length + 1);
      const climb = random.pick(['..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e', `..%2f${relative[0]}`, '%2F..']);
      return [[`${folder}/${[...relative.slice(0, at), climb, ...relative.slice(at)].join('/')}`, folder, false]];
    });
  });

  it('refuses double slashes anywhere, at the folder\'s end included', () => {
    forEveryCase(({ folder, relative }) => {
      const at = random.int(relative.length);
      return [
        [`${folder}/${relative.slice(0, at).concat('').concat(relative.slice(at)).join('/')}`, folder, false],
        [`${folder}//${relative.join('/')}`, folder, false],
        [`${folder}/${relative.join('/')}//`, folder, false],
      ];
    });
  });

  it('refuses backslashes, queries, fragments and whitespace, which Java, Hadoop or a store read otherwise', () => {
    forEveryCase(({ folder, relative }) => [[`${folder}/${relative.join('/')}${random.pick(['\\..\\x', '?x=/y', '#/../y', ' /y', '\t', '\n'])}`, folder, false]]);
  });

  it('never aliases s3a://, s3n:// or s3p:// to s3://, in either direction', () => {
    forEveryCase(({ folder, relative }) => {
      if (!folder.startsWith('s3://')) return [];
      const alias = random.pick(['s3a', 's3n', 's3p']);
      const aliased = (uri: string) => uri.replace(/^s3:/, `${alias}:`);
      const uri = `${folder}/${relative.join('/')}`;
      return [[aliased(uri), folder, false], [uri, aliased(folder), false], [aliased(uri), aliased(folder), true]];
    });
  });

  it('compares the scheme without case, and the authority and the path with it', () => {
    forEveryCase(({ folder, relative, tenant, root }) => {
      const uri = `${folder}/${relative.join('/')}`;
      return [
        [uri.replace(/^[a-z0-9]+/, (scheme) => scheme.toUpperCase()), folder, true],
        [`${root}/${tenant.toUpperCase()}/${relative.join('/')}`, folder, false],
        ...(/^(s3|gs):\/\/[a-z]/.test(root) ? [[uri.replace(/^([a-z0-9]+:\/\/)(.)/, (_, s: string, c: string) => `${s}${c.toUpperCase()}`), folder, false] as const] : []),
      ];
    });
  });

  it('reads Flink\'s file:/path as file:///path, and refuses a file URI with a host or a path with no scheme', () => {
    forEveryCase(({ folder, relative }) => {
      if (!folder.startsWith('file:///')) return [];
      const path = folder.slice('file://'.length);
      return [
        [`file:${path}/${relative.join('/')}`, folder, true],
        [`file://evil${path}/${relative.join('/')}`, folder, false],
        [`${path}/${relative.join('/')}`, folder, false],
      ];
    });
  });

  it('says the same for these named cases', () => {
    const table: ReadonlyArray<readonly [string, string, boolean]> = [
      ['s3://bucket/fleet/acme/acme--orders/savepoints/savepoint-1', 's3://bucket/fleet/acme/', true],
      ['s3://bucket/fleet/acme2/acme2--orders/savepoints/savepoint-1', 's3://bucket/fleet/acme', false],
      ['s3://bucket/fleet/acme/', 's3://bucket/fleet/acme', false],
      ['s3://bucket/fleet/acme/../acme2/x', 's3://bucket/fleet/acme/', false],
      ['s3://bucket/fleet/acme/%2e%2e/acme2/x', 's3://bucket/fleet/acme/', false],
      ['s3://bucket/fleet//acme/x', 's3://bucket/fleet/acme/', false],
      ['s3a://bucket/fleet/acme/x', 's3://bucket/fleet/acme/', false],
      ['S3://bucket/fleet/acme/x', 's3://bucket/fleet/acme/', true],
      ['s3://bucket/fleet/ACME/x', 's3://bucket/fleet/acme/', false],
      ['file:/var/fleet/storage/acme/acme--orders/savepoints/s', 'file:///var/fleet/storage/acme/', true],
      ['', 's3://bucket/fleet/acme/', false],
    ];
    for (const [uri, folder, inside] of table) assert.equal(isStrictlyInside(uri, folder), inside, `${uri} inside ${folder}`);
  });
});
