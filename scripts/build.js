#!/usr/bin/env node
// Bundles the task into one file and lays out the task folder as the agent runs it:
// dist/ECRPushImage/{index.js, task.json, task.loc.json, Strings/, icon.png from images/}.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const taskDirectory = path.join(root, 'dist', 'ECRPushImage');

// The task folder is assembled beside its final place and then swapped in, so a
// test that is running the previous build never finds a half-written folder.
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
const stagingDirectory = fs.mkdtempSync(path.join(root, 'dist', '.ECRPushImage-'));

function copyIfPresent(relativePath) {
    const source = path.join(root, relativePath);
    if (fs.existsSync(source)) {
        fs.cpSync(source, path.join(stagingDirectory, path.basename(relativePath)), { recursive: true });
    }
}

esbuild.buildSync({
    entryPoints: [path.join(root, 'src', 'index.ts')],
    outfile: path.join(stagingDirectory, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // The ES module builds of the AWS SDK packages bundle smaller and load faster than their CommonJS builds.
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    legalComments: 'linked',
    logLevel: 'warning',
});

for (const file of ['task.json', 'task.loc.json', 'Strings', path.join('images', 'icon.png')]) {
    copyIfPresent(file);
}

const previousDirectory = `${stagingDirectory}-previous`;
if (fs.existsSync(taskDirectory)) {
    fs.renameSync(taskDirectory, previousDirectory);
}
fs.renameSync(stagingDirectory, taskDirectory);
fs.rmSync(previousDirectory, { recursive: true, force: true });
console.log(`Built ${path.relative(root, taskDirectory)}`);
