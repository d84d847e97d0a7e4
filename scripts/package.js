#!/usr/bin/env node
// Builds the task and packages the extension into dist/<publisher>.<id>-<version>.vsix
// with tfx, offline. The extension version is the task version of task.json,
// passed to tfx as an override, so the two can't drift apart.
// Usage: node scripts/package.js [extra tfx arguments, e.g. --publisher my-publisher]
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outputDirectory = path.join(root, 'dist');

/** Returns the task version of task.json as `major.minor.patch`. */
function readTaskVersion() {
    const task = JSON.parse(fs.readFileSync(path.join(root, 'task.json'), 'utf8'));
    const { Major, Minor, Patch } = task.version;
    return `${Major}.${Minor}.${Patch}`;
}

/** Runs a Node script from the repository root and stops this script when it fails. */
function runNode(description, args) {
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (result.error) {
        throw result.error;
    }
    if (result.status !== 0) {
        console.error(`${description} failed with exit code ${result.status}.`);
        process.exit(result.status ?? 1);
    }
}

function requireFiles(relativePaths) {
    const missing = relativePaths.filter((relativePath) => !fs.existsSync(path.join(root, relativePath)));
    if (missing.length > 0) {
        console.error(`Cannot package the extension because these files are missing: ${missing.join(', ')}.`);
        process.exit(1);
    }
}

function removeOldPackages() {
    if (!fs.existsSync(outputDirectory)) {
        return;
    }
    for (const name of fs.readdirSync(outputDirectory)) {
        if (name.endsWith('.vsix')) {
            fs.rmSync(path.join(outputDirectory, name));
        }
    }
}

function main(extraArguments) {
    const version = readTaskVersion();

    runNode('Checking the localization files', [path.join('scripts', 'generate-loc.js'), '--check']);
    runNode('Building the task', [path.join('scripts', 'build.js')]);
    requireFiles(['README.md', 'LICENSE', path.join('images', 'icon.png'), path.join('dist', 'ECRPushImage', 'index.js')]);
    removeOldPackages();

    const tfx = require.resolve('tfx-cli/_build/tfx-cli.js', { paths: [root] });
    runNode('tfx extension create', [
        tfx,
        'extension',
        'create',
        '--root',
        root,
        '--manifest-globs',
        'vss-extension.json',
        '--override',
        JSON.stringify({ version }),
        '--output-path',
        outputDirectory,
        '--no-prompt',
        '--no-color',
        ...extraArguments,
    ]);
}

main(process.argv.slice(2));
