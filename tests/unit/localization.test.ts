import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');

type LocalizableTask = Record<string, unknown> & {
    inputs: { name: string; label: string; helpMarkDown?: string; options?: Record<string, string> }[];
    groups?: { name: string; displayName: string }[];
    messages: Record<string, string>;
};

interface LocalizationGenerator {
    LOCALIZATION_FILES: { taskLoc: string; resources: string };
    createTaskLoc(task: LocalizableTask): LocalizableTask;
    createResources(task: LocalizableTask): Record<string, string>;
    renderLocalizationFiles(task: LocalizableTask): Record<string, string>;
}

const generator = require('../../scripts/generate-loc.js') as LocalizationGenerator;

function readText(relativePath: string): string {
    return fs.readFileSync(path.join(root, relativePath), 'utf8');
}

const task = JSON.parse(readText('task.json')) as LocalizableTask;

describe('committed localization files', () => {
    const expected = generator.renderLocalizationFiles(task);

    it.each(Object.keys(expected))('%s matches task.json', (relativePath) => {
        // On failure, run `npm run generate-loc` and commit the result.
        expect(readText(relativePath)).toBe(expected[relativePath]);
    });
});

describe('generate-loc', () => {
    const taskLoc = generator.createTaskLoc(task);
    const resources = generator.createResources(task);

    it('keys every user-visible string', () => {
        expect(taskLoc.friendlyName).toBe('ms-resource:loc.friendlyName');
        expect(taskLoc.description).toBe('ms-resource:loc.description');
        expect(taskLoc.helpMarkDown).toBe('ms-resource:loc.helpMarkDown');
        expect(taskLoc.instanceNameFormat).toBe('ms-resource:loc.instanceNameFormat');
        for (const group of taskLoc.groups ?? []) {
            expect(group.displayName).toBe(`ms-resource:loc.group.displayName.${group.name}`);
        }
        for (const input of taskLoc.inputs) {
            expect(input.label).toBe(`ms-resource:loc.input.label.${input.name}`);
        }
        for (const [key, text] of Object.entries(taskLoc.messages)) {
            expect(text).toBe(`ms-resource:loc.messages.${key}`);
        }
    });

    it('keys only non-empty help text', () => {
        for (const [index, input] of task.inputs.entries()) {
            const expectedHelp = input.helpMarkDown ? `ms-resource:loc.input.help.${input.name}` : input.helpMarkDown;
            expect({ input: input.name, help: taskLoc.inputs[index].helpMarkDown }).toEqual({ input: input.name, help: expectedHelp });
        }
    });

    it('keeps other task.json fields', () => {
        const strip = (value: LocalizableTask) => ({
            ...value,
            friendlyName: undefined,
            description: undefined,
            helpMarkDown: undefined,
            instanceNameFormat: undefined,
            releaseNotes: undefined,
            groups: value.groups?.map((group) => ({ ...group, displayName: undefined })),
            inputs: value.inputs.map((input) => ({ ...input, label: undefined, helpMarkDown: undefined })),
            messages: Object.keys(value.messages),
        });
        expect(strip(taskLoc)).toEqual(strip(task));
    });

    it('leaves task.json unmodified', () => {
        expect(JSON.parse(readText('task.json'))).toEqual(task);
    });

    it('defines every key of task.loc.json', () => {
        const keys = JSON.stringify(taskLoc).match(/ms-resource:[A-Za-z0-9_.-]+/g) ?? [];
        const missing = keys.map((key) => key.slice('ms-resource:'.length)).filter((key) => !(key in resources));

        expect(keys.length).toBeGreaterThan(0);
        expect(missing).toEqual([]);
    });

    it('stores the English text of task.json', () => {
        expect(resources['loc.friendlyName']).toBe(task.friendlyName);
        expect(resources['loc.instanceNameFormat']).toBe(task.instanceNameFormat);
        for (const input of task.inputs) {
            expect(resources[`loc.input.label.${input.name}`]).toBe(input.label);
        }
        for (const [key, text] of Object.entries(task.messages)) {
            expect(resources[`loc.messages.${key}`]).toBe(text);
        }
    });

    it('writes resources where task-lib reads them', () => {
        // azure-pipelines-task-lib reads Strings/resources.resjson/<culture>/resources.resjson next to task.json.
        expect(generator.LOCALIZATION_FILES.resources.split(path.sep)).toEqual(['Strings', 'resources.resjson', 'en-US', 'resources.resjson']);
        expect(generator.LOCALIZATION_FILES.taskLoc).toBe('task.loc.json');
    });
});
