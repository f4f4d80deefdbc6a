import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFlinkConfig } from '../../activities/flink/config';
import { CONF_DIR, FLINK_UID } from '../../activities/runtime/kubernetes/manifests/container';
import { LOG4J_CONSOLE } from '../../activities/runtime/kubernetes/manifests/flink-config';
import { freePort } from '../../activities/runtime/local/ports';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FLINK_CONTAINER, installFlinkImage } from '../../scripts/install/images/flink-image';
import { OciLayout } from '../../scripts/install/images/oci-archive';
import { imageIndex, MEDIA_TYPES, referenceString } from '../../scripts/install/images/oci';
import { installPauseImage, type CachedImage } from '../../scripts/install/images/pause';
import { toolchain, VERSIONS } from '../../scripts/toolchain';
import { PrivateContainerd } from '../harness/containerd';
import { trackProcess } from '../harness/processes';

/**
 * The images the installer builds, run for real by a private containerd through `ctr`: what a
 * kubelet would do with them, without a kubelet. The Flink containers get their config the way the
 * fleet's pods do (FLINK_CONF_DIR, a read-only mount) and share the host's network on free ports.
 */
interface Ports {
  readonly rest: number;
  readonly rpc: number;
  readonly blob: number;
  readonly taskManagerRpc: number;
}

/** `ctr run` replaces the whole command line, where Kubernetes' `args` keep the image's entrypoint. */
const withEntrypoint = (...args: string[]): string[] => [...FLINK_CONTAINER.entrypoint, ...args];

function writeConfig(dir: string, ports: Ports): void {
  writeFileSync(join(dir, 'config.yaml'), renderFlinkConfig({
    'jobmanager.rpc.address': '127.0.0.1', 'jobmanager.rpc.port': ports.rpc, 'jobmanager.bind-host': '127.0.0.1',
    'rest.address': '127.0.0.1', 'rest.bind-address': '127.0.0.1', 'rest.port': ports.rest, 'blob.server.port': ports.blob,
    'taskmanager.host': '127.0.0.1', 'taskmanager.bind-host': '127.0.0.1', 'taskmanager.rpc.port': ports.taskManagerRpc,
    'taskmanager.numberOfTaskSlots': 1, 'jobmanager.memory.process.size': '1024m', 'taskmanager.memory.process.size': '1280m',
  }));
  writeFileSync(join(dir, 'log4j-console.properties'), LOG4J_CONSOLE);
  // The container's flink user reads it through the bind mount.
  chmodSync(dir, 0o755);
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/** Real, effective, saved and filesystem uid of a host process, from /proc. */
function uids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:')) ?? '';
  return line.split(/\s+/).slice(1, 5).map(Number);
}

/**
 * The same image with `User` 0, as a runtime without runAsUser would start one whose image said so:
 * only a new config, manifest and index, since containerd already holds the layers.
 */
function rootVariant(archive: string, dir: string): { archive: string; reference: string } {
  const read = (path: string): { [key: string]: unknown } => JSON.parse(execFileSync('tar', ['-xOf', archive, path], { encoding: 'utf8' })) as { [key: string]: unknown };
  const blob = (digest: unknown): string => `blobs/sha256/${String(digest).replace(/^sha256:/, '')}`;
  const index = read('index.json') as { manifests: { digest: string }[] };
  const manifest = read(blob(index.manifests[0]?.digest)) as { config: { digest: string } };
  const config = read(blob(manifest.config.digest)) as { config: Record<string, unknown> };
  const layout = new OciLayout(join(dir, 'root-variant'));
  const configDescriptor = layout.addJson(MEDIA_TYPES.config, { ...config, config: { ...config.config, User: '0:0' } });
  const manifestDescriptor = layout.addJson(MEDIA_TYPES.manifest, { ...manifest, config: configDescriptor });
  const reference = { repository: 'localhost/flink-fleet/flink-as-root', tag: 'test' };
  writeFileSync(join(layout.dir, 'index.json'), JSON.stringify(imageIndex(manifestDescriptor, reference)));
  layout.pack(join(dir, 'root-variant.oci.tar'));
  return { archive: join(dir, 'root-variant.oci.tar'), reference: referenceString(reference) };
}

describe('the images, run by a private containerd', function () {
  this.timeout(15 * 60_000);
  let containerd: PrivateContainerd;
  let pause: CachedImage;
  let flink: CachedImage;

  before(async () => {
    const tools = toolchain();
    pause = await installPauseImage(tools);
    flink = await installFlinkImage(tools);
    containerd = await PrivateContainerd.start();
    containerd.importImage(pause.archive);
    containerd.importImage(flink.archive);
  });

  after(async () => {
    await containerd.stop();
    assert.deepEqual(containerd.mountsUnderDir(), [], 'no mount of the private containerd is left');
    assert.deepEqual(containerd.processesUnderDir(), [], 'no containerd or shim process is left');
    assert.deepEqual(containerd.cgroupDirs(), [], 'no cgroup of its namespace is left');
    assert.deepEqual(containerd.fixedDirsLeft(), [], 'the /run/containerd folders it made are removed');
    assert.equal(existsSync(containerd.dir), false, 'its folder is removed');
  });

  it('imports both archives under the references the installer gives', () => {
    assert.deepEqual(containerd.imageReferences().sort(), [flink.reference, pause.reference].sort());
    assert.match(flink.reference, new RegExp(`^localhost/flink-fleet/flink:${VERSIONS.flink.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
  });

  it('runs pause as a non-root user until SIGTERM, which it exits on cleanly', async () => {
    const sandbox = containerd.run('pause', { image: pause.reference });
    const pid = await waitUntil('the pause task', async () => containerd.taskPid('pause'), { timeoutMs: 60_000, logFile: sandbox.logFile });
    assert.deepEqual(uids(pid), [65535, 65535, 65535, 65535]);
    await containerd.stopContainer('pause');
    assert.equal(await sandbox.exited, 0);
  });

  it('runs any other command as given, as the flink user, with the S3 plugin in place', async () => {
    const jar = `/opt/flink/plugins/s3-fs-hadoop/flink-s3-fs-hadoop-${VERSIONS.flink}.jar`;
    const probe = containerd.run('probe', { image: flink.reference, args: withEntrypoint('bash', '-c', `id -u; id -g; test -s ${jar} && echo plugin`) });
    assert.equal(await probe.exited, 0, readFileSync(probe.logFile, 'utf8'));
    assert.deepEqual(readFileSync(probe.logFile, 'utf8').trim().split('\n'), [String(FLINK_UID), String(FLINK_UID), 'plugin']);
  });

  it('drops to the flink user when the container starts as root', async () => {
    const asRoot = rootVariant(flink.archive, containerd.dir);
    containerd.importImage(asRoot.archive);
    const probe = containerd.run('as-root', { image: asRoot.reference, args: withEntrypoint('bash', '-c', 'id -u; id -g; id -G') });
    assert.equal(await probe.exited, 0, readFileSync(probe.logFile, 'utf8'));
    assert.deepEqual(readFileSync(probe.logFile, 'utf8').trim().split('\n'), [String(FLINK_UID), String(FLINK_UID), String(FLINK_UID)]);
  });

  describe('the entrypoint, with the image\'s own writable config', () => {
    /** Runs the entrypoint in pass-through mode, which prepares the config first as every mode does. */
    async function entrypoint(id: string, env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; output: string }> {
      const container = containerd.run(id, { image: flink.reference, args: withEntrypoint(...args), env });
      const status = await container.exited;
      return { status, output: readFileSync(container.logFile, 'utf8') };
    }

    it('prints its usage for `help`, the image\'s default command', async () => {
      const { status, output } = await entrypoint('help', {}, 'help');
      assert.equal(status, 0);
      assert.match(output, /^Usage: docker-entrypoint\.sh \(jobmanager\|standalone-job\|taskmanager\|history-server\)/);
    });

    it('writes JOB_MANAGER_RPC_ADDRESS and FLINK_PROPERTIES into the config, with environment variables in values replaced', async () => {
      const { status, output } = await entrypoint('properties', {
        FLINK_PROPERTIES: 'taskmanager.numberOfTaskSlots: 3\n\n  state.backend.type: hashmap  \nrest.address: ${ADDRESS}\n',
        ADDRESS: '10.1.2.3', JOB_MANAGER_RPC_ADDRESS: 'flink-jobmanager',
      }, 'bash', '-c', 'cd $FLINK_HOME && bin/config-parser-utils.sh conf bin lib -flatten && cat conf/config.yaml');
      assert.equal(status, 0, output);
      const expected = ["taskmanager.numberOfTaskSlots: '3'", 'state.backend.type: hashmap', 'rest.address: 10.1.2.3', 'jobmanager.rpc.address: flink-jobmanager'];
      for (const line of expected) {
        assert.ok(output.split('\n').includes(line), `${line} in\n${output}`);
      }
    });

    it('enables a built-in plugin of opt/ named in ENABLE_BUILT_IN_PLUGINS, and refuses one that is not there', async () => {
      const jar = `flink-s3-fs-hadoop-${VERSIONS.flink}.jar`;
      const enabled = await entrypoint('plugins', { ENABLE_BUILT_IN_PLUGINS: jar }, 'readlink', `/opt/flink/plugins/flink-s3-fs-hadoop-${VERSIONS.flink}/${jar}`);
      assert.equal(enabled.status, 0, enabled.output);
      assert.match(enabled.output, new RegExp(`^/opt/flink/opt/${jar.replace(/\./g, '\\.')}$`, 'm'));
      const missing = await entrypoint('no-plugin', { ENABLE_BUILT_IN_PLUGINS: 'flink-no-such-plugin.jar' }, 'true');
      assert.equal(missing.status, 1);
      assert.match(missing.output, /Plugin flink-no-such-plugin\.jar does not exist in \/opt\/flink\/opt/);
    });
  });

  describe('a JobManager and a TaskManager with the fleet\'s read-only config mount', () => {
    let ports: Ports;
    let confDir: string;

    before(async () => {
      ports = { rest: await freePort(), rpc: await freePort(), blob: await freePort(), taskManagerRpc: await freePort() };
      confDir = mkdtempSync(join(containerd.dir, 'conf-'));
      writeConfig(confDir, ports);
      const configMount = { source: confDir, destination: CONF_DIR, readOnly: true };
      const env = { FLINK_CONF_DIR: CONF_DIR };
      const jobManager = containerd.run('jobmanager', { image: flink.reference, args: withEntrypoint('jobmanager'), env, mounts: [configMount] }, 'file');
      await waitUntil('the JobManager task', async () => containerd.taskPid('jobmanager'), { timeoutMs: 60_000, logFile: jobManager.logFile });
      const taskManager = containerd.run('taskmanager', {
        image: flink.reference, args: withEntrypoint('taskmanager', '-Dtaskmanager.resource-id=image-test-tm'), env, mounts: [configMount],
      }, 'file');
      await waitUntil('the TaskManager task', async () => containerd.taskPid('taskmanager'), { timeoutMs: 60_000, logFile: taskManager.logFile });
      for (const id of ['jobmanager', 'taskmanager']) {
        const pid = containerd.taskPid(id);
        if (pid !== undefined) trackProcess(pid, `Flink ${id} container of the image test`, 'file');
      }
    });

    after(async () => {
      await containerd.stopContainer('taskmanager');
      await containerd.stopContainer('jobmanager');
    });

    it(`answers /overview with Flink ${VERSIONS.flink}`, async () => {
      const overview = await waitUntil('the JobManager REST API', async () => getJson(`http://127.0.0.1:${ports.rest}/overview`),
        { timeoutMs: 180_000, logFile: join(containerd.dir, 'jobmanager.log') });
      assert.equal((overview as { 'flink-version'?: unknown })['flink-version'], VERSIONS.flink);
    });

    it('registers the TaskManager under the resource id it was started with', async () => {
      const ids = await waitUntil('the TaskManager to register', async () => {
        const { taskmanagers } = await getJson(`http://127.0.0.1:${ports.rest}/taskmanagers`) as { taskmanagers: { id: string }[] };
        return taskmanagers.length > 0 ? taskmanagers.map((tm) => tm.id) : undefined;
      }, { timeoutMs: 180_000, logFile: join(containerd.dir, 'taskmanager.log') });
      assert.deepEqual(ids, ['image-test-tm']);
    });

    it('runs both JVMs as the flink user, uid 9999', () => {
      for (const id of ['jobmanager', 'taskmanager']) {
        const pid = containerd.taskPid(id);
        assert.ok(pid !== undefined, `${id} runs`);
        assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'java', `${id}'s entrypoint execs the JVM`);
        assert.deepEqual(uids(pid), [FLINK_UID, FLINK_UID, FLINK_UID, FLINK_UID], id);
      }
    });

    it('uses the mounted config as given instead of writing it', () => {
      const log = readFileSync(join(containerd.dir, 'jobmanager.log'), 'utf8');
      assert.match(log, new RegExp(`Using the configuration in ${CONF_DIR} as given`));
      assert.match(readFileSync(join(confDir, 'config.yaml'), 'utf8'), /^jobmanager\.rpc\.address: "127\.0\.0\.1"$/m);
    });

    it('loads the S3 file system plugin', () => {
      const log = readFileSync(join(containerd.dir, 'jobmanager.log'), 'utf8');
      assert.match(log, /Plugin loader with ID not found, creating it: s3-fs-hadoop/);
    });
  });
});
