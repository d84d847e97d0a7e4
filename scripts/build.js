#!/usr/bin/env node
// Bundles the task into one file and lays out the task folder as the agent runs it:
// dist/ECRPushImage/{index.js, task.json, task.loc.json, Strings/, icon.png from images/}.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const taskDirectory = path.join(root, 'dist', 'ECRPushImage');

function copyIfPresent(relativePath) {
    const source = path.join(root, relativePath);
    if (fs.existsSync(source)) {
        fs.cpSync(source, path.join(taskDirectory, path.basename(relativePath)), { recursive: true });
    }
}

fs.rmSync(taskDirectory, { recursive: true, force: true });
fs.mkdirSync(taskDirectory, { recursive: true });

esbuild.buildSync({
    entryPoints: [path.join(root, 'src', 'index.ts')],
    outfile: path.join(taskDirectory, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'linked',
    logLevel: 'warning',
});

for (const file of ['task.json', 'task.loc.json', 'Strings', path.join('images', 'icon.png')]) {
    copyIfPresent(file);
}
console.log(`Built ${path.relative(root, taskDirectory)}`);
