import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every folder a test run creates (cluster state, server data) lives under one root per run, so that
 * the leak check can find every Flink process of the run by its FLINK_CONF_DIR, whoever started it.
 */
let root: string | undefined;

export function testRunRoot(): string {
  root ??= mkdtempSync(join(tmpdir(), 'flink-fleet-test-'));
  return root;
}

export function newStateDir(label: string): string {
  const parent = join(testRunRoot(), label);
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, 'run-'));
}

export function removeTestRunRoot(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}
