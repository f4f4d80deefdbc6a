import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newCodecKey } from '../../client/codec/keys';
import {
  INSPECTOR_CLASSES_DIR, keepsModulePath, PLANNER_JAR, productionPackages, staleBuilds, WORKER_CONTAINER, type PackageLock,
} from '../../scripts/install/images/worker-recipe';
import { parseWorkerConfig } from '../../worker/config';
import { sqlInspectorInstall } from '../../worker/sql-inspector';

const LOCK: PackageLock = {
  packages: {
    '': { version: '0.1.0' },
    'node_modules/pino': { version: '10.4.0' },
    'node_modules/pino/node_modules/thread-stream': { version: '3.0.0' },
    'node_modules/pino/node_modules/mocha-only': { version: '1.0.0', dev: true },
    'node_modules/mocha': { version: '11.8.0', dev: true },
    'node_modules/@esbuild/linux-x64': { version: '0.25.0', optional: true },
    'node_modules/@esbuild/darwin-arm64': { version: '0.25.0', optional: true },
    'node_modules/fsevents': { version: '2.3.3', devOptional: true },
    'node_modules/flink-fleet': { link: true },
  },
};

describe('the worker image recipe', () => {
  it('carries every production package npm installed here, and no development package, other platform\'s binary or link', () => {
    const installed = new Set(['node_modules/@esbuild/linux-x64']);
    assert.deepEqual(productionPackages(LOCK, (path) => installed.has(path)), [
      'node_modules/@esbuild/linux-x64', 'node_modules/pino', 'node_modules/pino/node_modules/thread-stream',
    ]);
  });

  it('copies a production package without the development packages nested in it, without .bin and with only this platform\'s Temporal core', () => {
    const production = new Set(productionPackages(LOCK, () => false));
    assert.ok(keepsModulePath('node_modules/pino/lib/tools.js', production));
    assert.ok(keepsModulePath('node_modules/pino/node_modules/thread-stream', production));
    assert.ok(!keepsModulePath('node_modules/pino/node_modules/mocha-only', production));
    assert.ok(keepsModulePath('node_modules/pino/node_modules/@scope', production), 'a scope folder is walked into, its packages judged one by one');
    assert.ok(!keepsModulePath('node_modules/pino/node_modules/@scope/dev-tool', production));
    assert.ok(!keepsModulePath('node_modules/pino/node_modules/.bin', production));
    assert.ok(keepsModulePath('node_modules/@temporalio/core-bridge/releases/x86_64-unknown-linux-gnu', production));
    assert.ok(!keepsModulePath('node_modules/@temporalio/core-bridge/releases/aarch64-apple-darwin', production));
  });

  it('lists in package-lock.json every package the worker imports at run time, tsx included', () => {
    const lock = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package-lock.json'), 'utf8')) as PackageLock;
    const packages = productionPackages(lock, () => true);
    for (const name of ['tsx', '@temporalio/worker', '@temporalio/core-bridge', '@kubernetes/client-node', 'pino', 'webpack']) {
      assert.ok(packages.includes(`node_modules/${name}`), name);
    }
    assert.ok(!packages.includes('node_modules/mocha') && !packages.includes('node_modules/typescript'));
  });

  it('sets the variables from which the worker finds FLINK_HOME, the planner and the inspector where the image puts them, and runs as the chart\'s user', () => {
    const install = sqlInspectorInstall(parseWorkerConfig({ ...WORKER_CONTAINER.env, FLEET_CODEC_KEYS: newCodecKey('k1') }));
    assert.deepEqual(install, { flinkHome: '/opt/flink', plannerJar: PLANNER_JAR, classes: INSPECTOR_CLASSES_DIR });
    assert.ok(PLANNER_JAR.startsWith('/opt/flink/opt/'));
    assert.ok(WORKER_CONTAINER.env?.PATH?.split(':').includes(`${WORKER_CONTAINER.env.JAVA_HOME}/bin`));
    assert.equal(WORKER_CONTAINER.user, '1000:1000');
  });
});

describe('worker image builds in the cache', () => {
  it('keep the current one and the two built last, and let the older ones go', () => {
    const builds = [
      { name: 'worker-0.1.0-a', builtAt: 1 }, { name: 'worker-0.1.0-b', builtAt: 4 }, { name: 'worker-0.1.0-c', builtAt: 3 },
      { name: 'worker-0.1.0-d', builtAt: 2 }, { name: 'worker-0.1.0-now', builtAt: 0 },
    ];
    assert.deepEqual(staleBuilds(builds, 'worker-0.1.0-now'), ['worker-0.1.0-d', 'worker-0.1.0-a']);
    assert.deepEqual(staleBuilds(builds.slice(0, 2), 'worker-0.1.0-a'), []);
  });
});
