import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageWorkingTreeCopy, PACKAGED_TASK_FOLDER, extractTo, readZip } from '../support/extension-package';
import { imageExists } from '../support/images';
import { uniqueRepositoryName } from '../support/names';
import { expectSucceeded, PushFixture } from '../support/push-fixture';
import { repositoryRoot } from '../support/repository-root';
import type { TaskRun } from '../support/run-task';
import { node20, node24, type NodeRuntime } from '../support/runtimes';

// Installs the .vsix the way the agent does, by unpacking it into a folder
// outside the repository, and pushes a real image with the task found there.
// This proves that the packaged task folder runs by itself: no node_modules of
// the repository can be reached, and the messages come from the packaged
// task.json and Strings/.

/** A line that is one CamelCase word, the shape of a task.json message key. */
const MESSAGE_KEY_SHAPE = /^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$/;

const fixture = new PushFixture();
const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-push-unpacked-'));
const taskFolder = path.join(workDirectory, 'extension', ...PACKAGED_TASK_FOLDER.split('/'));
let messageKeys: string[] = [];

beforeAll(async () => {
    const vsix = packageWorkingTreeCopy(path.join(workDirectory, 'tree'));
    extractTo(readZip(fs.readFileSync(vsix)), path.join(workDirectory, 'extension'));
    // Only the unpacked extension stays, so the task can't fall back on the copy's node_modules link.
    fs.rmSync(path.join(workDirectory, 'tree'), { recursive: true, force: true });

    const manifest = JSON.parse(fs.readFileSync(path.join(taskFolder, 'task.json'), 'utf8')) as { messages: Record<string, string> };
    messageKeys = Object.keys(manifest.messages);

    await fixture.setUp();
}, 300_000);

afterAll(async () => {
    await fixture.tearDown();
    fs.rmSync(workDirectory, { recursive: true, force: true });
});

/**
 * Runs require.resolve for a package in a plain Node process started in the
 * task folder, and returns the resolved path or the error code.
 */
function resolveFromTaskFolder(packageName: string): string {
    const script = `try { console.log(require.resolve(${JSON.stringify(packageName)})); } catch (error) { console.log(error.code); }`;
    return execFileSync(process.execPath, ['-e', script], { cwd: taskFolder, env: { PATH: process.env.PATH }, encoding: 'utf8' });
}

/** Lines the task wrote for people to read: everything but logging commands and blank lines. */
function plainLines(run: TaskRun): string[] {
    return run.output
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line.length > 0 && !line.startsWith('##vso['));
}

/** Messages of the commands the agent shows: the result, errors and warnings. */
function shownMessages(run: TaskRun): string[] {
    return run.commands
        .filter((command) => ['task.complete', 'task.issue', 'task.logissue'].includes(command.command))
        .map((command) => command.message.trim());
}

describe('unpacked extension package', () => {
    it('lies outside the repository', () => {
        const relative = path.relative(repositoryRoot(), taskFolder);

        expect(relative.startsWith('..') || path.isAbsolute(relative)).toBe(true);
    });

    it.each(['azure-pipelines-task-lib', '@aws-sdk/client-ecr'])('cannot resolve %s', (packageName) => {
        expect(resolveFromTaskFolder(packageName)).toContain('MODULE_NOT_FOUND');
    });

    describe.each([
        ['Node 20', node20],
        ['Node 24', node24],
    ])('under %s', (_name, findRuntime: () => NodeRuntime) => {
        const repository = uniqueRepositoryName('unpacked/app');
        let run: TaskRun;
        let imageId: string;

        beforeAll(async () => {
            const image = await fixture.localImage(64 * 1024);
            imageId = image.id;

            run = await fixture.run(findRuntime(), {
                taskScript: path.join(taskFolder, 'index.js'),
                inputs: {
                    imageSource: 'imagename',
                    sourceImageName: image.name,
                    sourceImageTag: image.tag,
                    repositoryName: repository,
                    pushTag: 'v1',
                    autoCreateRepository: 'true',
                    removeDockerImage: 'true',
                },
            });
        }, 180_000);

        it('pushes the image', async () => {
            expectSucceeded(run);
            expect(run.exitCode).toBe(0);

            const manifest = await fixture.registry.getManifest(repository, 'v1');
            expect(manifest).toBeDefined();
            expect(run.variables).toContainEqual({ name: 'imageDigest', value: manifest?.digest, isOutput: true, isSecret: false });
        });

        it('finds its resource file', () => {
            const visibleLines = [...plainLines(run), ...shownMessages(run)];
            const locWarnings = run.warnings.filter((warning) => /\bloc\b|resource/i.test(warning));

            expect(visibleLines.filter((line) => /resource ?file/i.test(line))).toEqual([]);
            expect(run.output).not.toContain("Can't find loc string");
            expect(locWarnings).toEqual([]);
        });

        it('prints sentences, not message keys', () => {
            const keyLines = plainLines(run).filter((line) => messageKeys.includes(line) || MESSAGE_KEY_SHAPE.test(line));
            const keyMessages = shownMessages(run).filter((message) => messageKeys.includes(message) || MESSAGE_KEY_SHAPE.test(message));

            expect(run.output).not.toContain('loc.messages');
            expect(keyLines).toEqual([]);
            expect(keyMessages).toEqual([]);
        });

        it('removes the local image', async () => {
            expect(await imageExists(fixture.dockerHost, imageId)).toBe(false);
        });
    });
});
