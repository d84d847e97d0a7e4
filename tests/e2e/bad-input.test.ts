import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { listImages } from '../support/images';
import { uniqueRepositoryName } from '../support/names';
import { PushFixture, resultOf } from '../support/push-fixture';
import type { TaskRun } from '../support/run-task';
import { taskRuntimes, type NodeRuntime } from '../support/runtimes';

const fixture = new PushFixture();
let source: { name: string; tag: string; reference: string; id: string };

beforeAll(async () => {
    await fixture.setUp();
    source = await fixture.localImage();
});
afterAll(() => fixture.tearDown());

/** Local image references that carry the source image or point into the emulator's registry. */
async function relevantImages(): Promise<string[]> {
    const images = await listImages(fixture.dockerHost);
    return images
        .filter((image) => image.id === source.id || image.reference.startsWith(`${fixture.registryHost}/`))
        .map((image) => `${image.id} ${image.reference}`)
        .sort();
}

/**
 * Runs the task with bad input and checks that it failed with one error line
 * matching `expected`, and that nothing happened: no AWS request, no docker
 * command other than read-only inspection, and no change to the local images.
 */
async function expectRejected(
    runtime: NodeRuntime,
    inputs: Record<string, string>,
    expected: RegExp,
    options: { env?: Record<string, string | undefined>; allowedDockerCommands?: string[] } = {},
): Promise<TaskRun> {
    const imagesBefore = await relevantImages();
    const requestsBefore = fixture.emulator.requests.length;

    const run = await fixture.run(runtime, { inputs, env: options.env });

    const { result, message } = resultOf(run);
    expect(result).toBe('Failed');
    expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
    expect(run.errors).toHaveLength(1);
    expect(fixture.emulator.requests.length).toBe(requestsBefore);
    const commands = run.dockerCalls.map((call) => call.args.slice(0, 2).join(' '));
    expect(commands.filter((command) => !(options.allowedDockerCommands ?? []).includes(command))).toEqual([]);
    expect(await relevantImages()).toEqual(imagesBefore);
    return run;
}

describe.each(taskRuntimes())('bad input under $name', (runtime) => {
    const byName = (repositoryName: string, extra: Record<string, string> = {}) => ({
        sourceImageName: source.name,
        sourceImageTag: source.tag,
        repositoryName,
        ...extra,
    });

    it.each([
        ['uppercase', 'MyRepo', /Input repositoryName is 'MyRepo', which has uppercase letters/],
        ['a space', 'my repo', /Input repositoryName is 'my repo', which is not a valid ECR repository name/],
        ['a double dot', 'a..b', /Input repositoryName is 'a\.\.b', which is not a valid ECR repository name/],
        ['one character', 'a', /Input repositoryName is 'a', which has a length of 1\. ECR repository names are 2 to 256 characters long/],
        ['257 characters', 'a'.repeat(257), /which has a length of 257\. ECR repository names are 2 to 256 characters long/],
        ['a leading slash', '/app', /Input repositoryName is '\/app', which is not a valid ECR repository name/],
    ])('rejects a repository name with %s', async (_case, repositoryName, expected) => {
        await expectRejected(runtime, byName(repositoryName), expected);
    });

    it.each([
        ['a leading dash', '-x', /Input pushTag is '-x', which is not a valid tag/],
        ['129 characters', 'a'.repeat(129), /Input pushTag is 'a+', which is longer than the 128 characters a tag can have/],
        ['a colon', 'a:b', /Input pushTag is 'a:b', which looks like a whole image reference\. Give only the tag/],
        [
            'a whole ECR reference',
            '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.0',
            /Input pushTag is '123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/app:1\.0', which looks like a whole image reference/,
        ],
    ])('rejects a push tag with %s', async (_case, pushTag, expected) => {
        await expectRejected(runtime, byName(uniqueRepositoryName('tag'), { pushTag }), expected);
    });

    it('rejects an unknown image source', async () => {
        await expectRejected(
            runtime,
            byName(uniqueRepositoryName('source'), { imageSource: 'imagetag' }),
            /Input imageSource is 'imagetag', which is not a valid option\. Use one of: imagename, imageid, ecrimage\./,
        );
    });

    it('rejects a missing source image name', async () => {
        await expectRejected(runtime, { repositoryName: uniqueRepositoryName('name'), imageSource: 'imagename' }, /Input sourceImageName is empty/);
    });

    it('rejects a missing source image ID', async () => {
        await expectRejected(runtime, { repositoryName: uniqueRepositoryName('id'), imageSource: 'imageid' }, /Input sourceImageId is empty/);
    });

    it('rejects an image that is not there', async () => {
        const run = await expectRejected(
            runtime,
            { sourceImageName: 'no-such-image-here', sourceImageTag: 'v0', repositoryName: uniqueRepositoryName('absent') },
            /The source image 'no-such-image-here:v0' does not exist on this agent/,
            { allowedDockerCommands: ['image inspect'] },
        );
        expect(run.dockerCalls).toHaveLength(1);
    });

    it('reports an engine that cannot be reached', async () => {
        await expectRejected(
            runtime,
            byName(uniqueRepositoryName('engine')),
            /The Docker daemon can't be reached\. Check that the Docker engine is running.*unix:\/\/\/nonexistent\/docker\.sock/,
            { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, allowedDockerCommands: ['image inspect'] },
        );
    });

    it('reports docker missing from PATH', async () => {
        const emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), 'no-docker-bin-'));
        try {
            await expectRejected(runtime, byName(uniqueRepositoryName('nodocker')), /The docker command was not found on PATH/, {
                env: { PATH: emptyBin },
            });
        } finally {
            fs.rmSync(emptyBin, { recursive: true, force: true });
        }
    });
});
