import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_BASE, FLINK_USER_ID, mmdebstrapArgs } from '../../scripts/install/images/debian-base';
import { FLINK_CONTAINER, flinkHomeListing, flinkImageInputs } from '../../scripts/install/images/flink-image';
import { contentTag } from '../../scripts/install/images/oci';

describe('the Flink image recipe', () => {
  it('builds a minimal Debian with Java 17 and the flink user the manifests run as', () => {
    const args = mmdebstrapArgs('/out/rootfs.tar');
    assert.ok(args.includes('--variant=minbase'));
    assert.ok(args.includes(`--include=${DEBIAN_BASE.packages.join(',')}`));
    assert.ok(DEBIAN_BASE.packages.includes('openjdk-17-jre-headless'));
    assert.deepEqual(args.slice(-2), ['bookworm', '/out/rootfs.tar']);
    assert.ok(args.includes(`--customize-hook=echo 'flink:x:${FLINK_USER_ID}:${FLINK_USER_ID}:Flink:/opt/flink:/usr/sbin/nologin' >> "$1/etc/passwd"`));
    assert.equal(FLINK_USER_ID, 9999);
  });

  it('creates the man1 folder before packages are installed: OpenJDK\'s postinst fails without it', () => {
    assert.ok(mmdebstrapArgs('x').includes('--setup-hook=mkdir -p "$1/usr/share/man/man1"'));
  });

  it('starts through the entrypoint as the numeric flink user, like the official image', () => {
    assert.deepEqual(FLINK_CONTAINER.entrypoint, ['/docker-entrypoint.sh']);
    assert.equal(FLINK_CONTAINER.user, '9999:9999');
    assert.equal(FLINK_CONTAINER.env?.FLINK_HOME, '/opt/flink');
  });

  describe('tag', () => {
    let home: string;
    beforeEach(() => {
      home = mkdtempSync(join(tmpdir(), 'flink-home-'));
      mkdirSync(join(home, 'lib'));
      writeFileSync(join(home, 'lib', 'flink-dist-2.3.0.jar'), 'dist');
      writeFileSync(join(home, '.flink-fleet-complete'), 'stamp written at a different time on every install');
    });
    afterEach(() => rmSync(home, { recursive: true, force: true }));

    const tagOf = (entrypoint: string): string => contentTag('2.3.0', flinkImageInputs(entrypoint, flinkHomeListing(home)));

    it('lists FLINK_HOME\'s files by path and size, without the installer\'s stamp', () => {
      assert.deepEqual(flinkHomeListing(home), ['lib/flink-dist-2.3.0.jar 4']);
    });

    it('changes when the entrypoint changes', () => {
      assert.notEqual(tagOf('#!/bin/bash\nexec "$@"\n'), tagOf('#!/bin/bash\nexec "$@" # changed\n'));
    });

    it('changes when a jar is added or replaced', () => {
      const before = tagOf('entrypoint');
      writeFileSync(join(home, 'lib', 'flink-dist-2.3.0.jar'), 'other dist');
      const replaced = tagOf('entrypoint');
      writeFileSync(join(home, 'lib', 'extra.jar'), 'x');
      const added = tagOf('entrypoint');
      assert.equal(new Set([before, replaced, added]).size, 3);
    });

    it('stays the same when nothing changed, whatever the stamp says', () => {
      const before = tagOf('entrypoint');
      writeFileSync(join(home, '.flink-fleet-complete'), 'a later install');
      assert.equal(tagOf('entrypoint'), before);
    });
  });
});
