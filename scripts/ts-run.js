#!/usr/bin/env node
'use strict';

// Runs a TypeScript entry point without a build step. esbuild bundles it, with
// npm packages left external, into a file under node_modules/.cache, where
// require() finds this repository's packages. This process then loads the
// bundle with the remaining arguments.
// Usage: node scripts/ts-run.js ENTRY.ts [ARGS...]

const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('Usage: node scripts/ts-run.js ENTRY.ts [ARGS...]');
  process.exit(2);
}

const repositoryRoot = path.resolve(__dirname, '..');
const cacheDirectory = path.join(repositoryRoot, 'node_modules', '.cache', 'ts-run');
const bundleFile = path.join(cacheDirectory, `${path.basename(entry, path.extname(entry))}-${process.pid}.js`);

fs.mkdirSync(cacheDirectory, { recursive: true });
esbuild.buildSync({
  entryPoints: [path.resolve(entry)],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  outfile: bundleFile,
});

process.setSourceMapsEnabled(true);
process.argv = [process.argv[0], path.resolve(entry), ...args];

try {
  require(bundleFile);
} finally {
  // Node has read the bundle by now; code that is still running keeps working without the file.
  fs.rmSync(bundleFile, { force: true });
}
