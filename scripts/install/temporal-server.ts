import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { postgresBinDir } from '../../client/dev/postgres';
import { VERSIONS, type Toolchain } from '../toolchain';
import { goEnvironment } from './kubernetes';
import { ensureBuilt, InstallStepFailed, MissingPrerequisite, run, say } from './steps';

const MODULE = 'go.temporal.io/server';

/**
 * The server's go.mod asks for Go 1.26.10, newer than the machine's 1.26; the go command fetches
 * this approved toolchain from the Go module proxy (into the cache's GOMODCACHE) for this build only.
 */
const GO_TOOLCHAIN = 'go1.27.3';

function temporalGoEnvironment(tools: Toolchain, bin: string): NodeJS.ProcessEnv {
  // `go install pkg@version` resolves the server's own go.mod and rejects -mod.
  return { ...goEnvironment(tools), GOFLAGS: '', GOBIN: bin, GOTOOLCHAIN: GO_TOOLCHAIN };
}

function moduleDir(tools: Toolchain, env: NodeJS.ProcessEnv): string {
  const output = execFileSync('go', ['mod', 'download', '-json', `${MODULE}@v${VERSIONS.temporalServer}`], { cwd: tools.goPath, env, encoding: 'utf8' });
  const parsed: unknown = JSON.parse(output);
  if (typeof parsed !== 'object' || parsed === null || !('Dir' in parsed) || typeof parsed.Dir !== 'string') {
    throw new InstallStepFailed(`go mod download did not say where ${MODULE}@v${VERSIONS.temporalServer} is`);
  }
  return parsed.Dir;
}

/** PostgreSQL holds the server's persistence and visibility; Debian's package, like the node's tools. */
function installPostgres(): void {
  if (postgresBinDir()) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new MissingPrerequisite('postgresql', 'the production Temporal server of the tests stores its data there (as root: apt-get install postgresql)');
  }
  say('temporal server', 'installing Debian\'s postgresql package with apt-get');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  // Debian's package may start the machine's own cluster; the tests start private ones instead.
  spawnSync('systemctl', ['disable', '--now', 'postgresql'], { stdio: 'ignore' });
}

/**
 * The Temporal server as a production cluster runs it (not the CLI's dev server): `temporal-server`
 * and `temporal-sql-tool` built from the Go module, with the module's PostgreSQL schemas beside them.
 */
export async function installTemporalServer(tools: Toolchain): Promise<void> {
  installPostgres();
  const bin = tools.temporalServerBin;
  await ensureBuilt('temporal server', dirname(bin), () => {
    mkdirSync(tools.goPath, { recursive: true });
    const env = temporalGoEnvironment(tools, bin);
    run('go', ['install', '-trimpath', '-ldflags=-s -w',
      `${MODULE}/cmd/server@v${VERSIONS.temporalServer}`, `${MODULE}/cmd/tools/sql@v${VERSIONS.temporalServer}`], {
      cwd: tools.goPath, env,
      progress: { component: 'temporal-server', label: `building temporal-server and temporal-sql-tool v${VERSIONS.temporalServer}`, estimateSeconds: 900 },
    });
    // `go install` names binaries after their folders; these are the names Temporal's docs use.
    renameSync(join(bin, 'server'), join(bin, 'temporal-server'));
    renameSync(join(bin, 'sql'), join(bin, 'temporal-sql-tool'));
    cpSync(join(moduleDir(tools, env), 'schema', 'postgresql', 'v12'), tools.temporalServerSchema, { recursive: true });
    // The module cache is read-only, and so would the copy be: a later reinstall could not remove it.
    run('chmod', ['-R', 'u+w', tools.temporalServerSchema]);
    run(join(bin, 'temporal-server'), ['--version']);
  });
}
