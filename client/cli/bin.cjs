#!/usr/bin/env node
// The package's `flink-fleet` command: TypeScript run through tsx, as everything in this repo is.
require('tsx/cjs');
require('./main.ts')
  .main(process.argv)
  .catch((error) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
