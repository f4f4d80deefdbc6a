import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  contentTag, imageConfig, imageIndex, imageManifest, jsonBlob, type Layer, MEDIA_TYPES, referenceString, sha256Digest,
} from '../../scripts/install/images/oci';

const layer = (n: number): Layer => ({
  blob: { mediaType: MEDIA_TYPES.layer, digest: `sha256:${String(n).repeat(64)}`, size: 100 * n },
  diffId: `sha256:${String(n + 1).repeat(64)}`,
});

describe('OCI image documents', () => {
  it('lists the layers bottom first: blobs in the manifest, tar digests in the config', () => {
    const layers = [layer(1), layer(3)];
    const config = imageConfig({ entrypoint: ['/pause'] }, layers) as { rootfs: unknown };
    assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [layers[0]?.diffId, layers[1]?.diffId] });
    const configBlob = jsonBlob(MEDIA_TYPES.config, config).descriptor;
    assert.deepEqual(imageManifest(configBlob, layers), {
      schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config: configBlob, layers: [layers[0]?.blob, layers[1]?.blob],
    });
  });

  it('writes the container settings in the config keys containerd reads', () => {
    const config = imageConfig({
      entrypoint: ['/docker-entrypoint.sh'], cmd: ['help'], env: { FLINK_HOME: '/opt/flink' }, user: '9999:9999',
      workingDir: '/opt/flink', exposedPorts: [8081],
    }, []);
    assert.deepEqual(config, {
      architecture: 'amd64', os: 'linux',
      config: {
        Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['help'], Env: ['FLINK_HOME=/opt/flink'], User: '9999:9999', WorkingDir: '/opt/flink',
        ExposedPorts: { '8081/tcp': {} },
      },
      rootfs: { type: 'layers', diff_ids: [] },
    });
  });

  it('has no timestamp, so the same image gives the same config digest', () => {
    const one = jsonBlob(MEDIA_TYPES.config, imageConfig({ entrypoint: ['/pause'] }, [layer(1)]));
    const two = jsonBlob(MEDIA_TYPES.config, imageConfig({ entrypoint: ['/pause'] }, [layer(1)]));
    assert.equal(one.descriptor.digest, two.descriptor.digest);
  });

  it('describes a JSON blob by the sha256 and length of its exact bytes', () => {
    const { bytes, descriptor } = jsonBlob(MEDIA_TYPES.manifest, { a: 'é' });
    assert.equal(bytes.toString(), '{"a":"é"}');
    assert.equal(descriptor.size, 10);
    assert.equal(descriptor.digest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    assert.equal(sha256Digest(bytes), descriptor.digest);
  });

  it('names the image in the index the way ctr import names it, with the platform it runs on', () => {
    const manifest = { mediaType: MEDIA_TYPES.manifest, digest: sha256Digest('m'), size: 1 };
    assert.deepEqual(imageIndex(manifest, { repository: 'localhost/flink-fleet/pause', tag: '1-abc' }), {
      schemaVersion: 2, mediaType: MEDIA_TYPES.index,
      manifests: [{
        ...manifest, platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'io.containerd.image.name': 'localhost/flink-fleet/pause:1-abc', 'org.opencontainers.image.ref.name': '1-abc' },
      }],
    });
  });
});

describe('image tags', () => {
  it('are the version and twelve hex digits of the inputs', () => {
    assert.match(contentTag('2.3.0', ['entrypoint', 'lib/flink-dist.jar 123']), /^2\.3\.0-[0-9a-f]{12}$/);
    assert.equal(referenceString({ repository: 'localhost/flink-fleet/flink', tag: '2.3.0-0123456789ab' }), 'localhost/flink-fleet/flink:2.3.0-0123456789ab');
  });

  it('stay the same for the same inputs and change when any input does', () => {
    const inputs = ['#!/bin/bash\nexec "$@"\n', 'lib/flink-dist-2.3.0.jar 1000'];
    assert.equal(contentTag('2.3.0', inputs), contentTag('2.3.0', [...inputs]));
    assert.notEqual(contentTag('2.3.0', inputs), contentTag('2.3.0', ['#!/bin/bash\nexec "$@" \n', inputs[1] ?? '']));
    assert.notEqual(contentTag('2.3.0', inputs), contentTag('2.3.0', [...inputs, 'plugins/s3-fs-hadoop/flink-s3-fs-hadoop-2.3.0.jar 9']));
  });

  it('cannot be made equal by moving text from one input to the next', () => {
    assert.notEqual(contentTag('1', ['ab', 'c']), contentTag('1', ['a', 'bc']));
  });
});
