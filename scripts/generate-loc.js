#!/usr/bin/env node
// Generates the localization files of the task from task.json, the way the
// tasks in microsoft/azure-pipelines-tasks do. task.loc.json is task.json with
// every user-visible string replaced by an `ms-resource:loc.*` key, and
// Strings/resources.resjson/en-US/resources.resjson maps those keys to the
// English text of task.json.
// Picklist and radio option labels stay literal in task.loc.json, as in those
// tasks, because they use no `ms-resource:` form for options.
// Usage: node scripts/generate-loc.js [--check]
//   --check  writes nothing and exits with status 1 when a committed file differs.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Paths of the generated files, relative to the repository root. */
const LOCALIZATION_FILES = {
    taskLoc: 'task.loc.json',
    resources: path.join('Strings', 'resources.resjson', 'en-US', 'resources.resjson'),
};

/** Returns a copy of task.json with its user-visible strings replaced by resource keys. */
function createTaskLoc(task) {
    const taskLoc = structuredClone(task);
    taskLoc.friendlyName = 'ms-resource:loc.friendlyName';
    taskLoc.helpMarkDown = 'ms-resource:loc.helpMarkDown';
    taskLoc.description = 'ms-resource:loc.description';
    taskLoc.instanceNameFormat = 'ms-resource:loc.instanceNameFormat';
    if ('releaseNotes' in taskLoc) {
        taskLoc.releaseNotes = 'ms-resource:loc.releaseNotes';
    }

    for (const group of taskLoc.groups ?? []) {
        group.displayName = `ms-resource:loc.group.displayName.${group.name}`;
    }

    for (const input of taskLoc.inputs ?? []) {
        input.label = `ms-resource:loc.input.label.${input.name}`;
        if (input.helpMarkDown) {
            input.helpMarkDown = `ms-resource:loc.input.help.${input.name}`;
        }
    }

    for (const key of Object.keys(taskLoc.messages ?? {})) {
        taskLoc.messages[key] = `ms-resource:loc.messages.${key}`;
    }
    return taskLoc;
}

/** Returns the English resources: each key of task.loc.json, without `ms-resource:`, mapped to its text. */
function createResources(task) {
    const resources = {};
    for (const field of ['friendlyName', 'helpMarkDown', 'description', 'instanceNameFormat', 'releaseNotes']) {
        if (field in task) {
            resources[`loc.${field}`] = task[field];
        }
    }

    for (const group of task.groups ?? []) {
        resources[`loc.group.displayName.${group.name}`] = group.displayName;
    }

    for (const input of task.inputs ?? []) {
        resources[`loc.input.label.${input.name}`] = input.label;
        if (input.helpMarkDown) {
            resources[`loc.input.help.${input.name}`] = input.helpMarkDown;
        }
    }

    for (const [key, text] of Object.entries(task.messages ?? {})) {
        resources[`loc.messages.${key}`] = text;
    }
    return resources;
}

function toJsonText(value) {
    return `${JSON.stringify(value, null, 2)}\n`;
}

/** Returns the text of each generated file, keyed by its path relative to the repository root. */
function renderLocalizationFiles(task) {
    return {
        [LOCALIZATION_FILES.taskLoc]: toJsonText(createTaskLoc(task)),
        [LOCALIZATION_FILES.resources]: toJsonText(createResources(task)),
    };
}

function readTask() {
    return JSON.parse(fs.readFileSync(path.join(root, 'task.json'), 'utf8'));
}

function readIfPresent(file) {
    try {
        return fs.readFileSync(file, 'utf8');
    } catch (error) {
        if (error.code === 'ENOENT') {
            return undefined;
        }
        throw error;
    }
}

function main(argv) {
    const check = argv.includes('--check');
    const files = renderLocalizationFiles(readTask());
    const stale = [];

    for (const [relativePath, text] of Object.entries(files)) {
        const file = path.join(root, relativePath);
        if (readIfPresent(file) === text) {
            continue;
        }
        if (check) {
            stale.push(relativePath);
            continue;
        }
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        console.log(`Wrote ${relativePath}`);
    }

    if (stale.length > 0) {
        console.error(`Localization files out of date with task.json: ${stale.join(', ')}. Run 'npm run generate-loc' and commit the result.`);
        process.exitCode = 1;
    }
}

module.exports = { LOCALIZATION_FILES, createTaskLoc, createResources, renderLocalizationFiles };

if (require.main === module) {
    main(process.argv.slice(2));
}
