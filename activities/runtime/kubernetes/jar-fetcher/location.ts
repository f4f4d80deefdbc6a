import { join } from 'node:path';
import { sourceHash } from '../../../sql-inspector/classpath';
import { StartFailure, type StartFailureType } from '../errors';

/**
 * Where the jar fetcher (the init container that checks a jar connection's jar in its JobManager's
 * pod) is built and what it answers. Shared by its installer step (scripts/install/jar-fetcher.ts)
 * and the worker, which hands the built jar to each such pod: the build folder is named by a hash of
 * the Java sources, so a changed source is a new build, never a stale one.
 */
export const JAR_FETCHER_SOURCES = join(__dirname, 'java', 'src');
export const JAR_FETCHER_MAIN = 'io.flinkfleet.fetcher.JarFetcher';
export const JAR_FETCHER_FILE = 'jar-fetcher.jar';

/** The fetcher's exit codes (JarFetcher.java), each a failure type of its own. */
export const JAR_FETCHER_EXIT: Readonly<Record<number, StartFailureType>> = { 3: StartFailure.JarDigestMismatch, 4: StartFailure.InvalidJar };

/** `builds`: the folder holding one folder per build (the toolchain's `jarFetcherBuilds`). */
export function jarFetcherJar(builds: string): string {
  return join(builds, sourceHash(JAR_FETCHER_SOURCES), JAR_FETCHER_FILE);
}
