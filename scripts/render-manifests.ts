import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helmBinary } from './install/helm';
import { plainManifestFiles, PLAIN_MANIFESTS_DIR, renderPlainManifests } from './plain-manifests';
import { toolchain } from './toolchain';

/** Rewrites deploy/*.yaml from the chart; a template that no longer renders loses its file. */
const rendered = renderPlainManifests(helmBinary(toolchain()));
for (const stale of plainManifestFiles().filter((file) => !rendered.has(file))) rmSync(join(PLAIN_MANIFESTS_DIR, stale));
for (const [file, text] of rendered) writeFileSync(join(PLAIN_MANIFESTS_DIR, file), text);
process.stdout.write(`deploy/: ${[...rendered.keys()].join(', ')}\n`);
