import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { LocalImages, pushInputs } from '../support/local-images';
import { uniqueRepositoryName } from '../support/names';
import { ecrOperations, readSummaryTable, variableValue, watchEmulator } from '../support/observations';
import { expectSucceeded, PushFixture, resultOf } from '../support/push-fixture';
import { type NodeRuntime, taskRuntimes } from '../support/runtimes';

// Promotion: imageSource = ecrimage adds tags to an image already in the
// target repository through BatchGetImage and PutImage, with no docker on
// PATH. Every test runs the built task under Node 20 and Node 24.

const OTHER_ACCOUNT = '210987654321';

const fixture = new PushFixture();
const images = new LocalImages(fixture.dockerHost);
let noDockerPath: string;

beforeAll(async () => {
    await fixture.setUp();
    // The task runs with only this empty directory on PATH; runTask starts node by its absolute path.
    noDockerPath = fs.mkdtempSync(path.join(os.tmpdir(), 'no-docker-'));
});

afterEach(() => images.removeAll());

afterAll(async () => {
    fs.rmSync(noDockerPath, { recursive: true, force: true });
    await fixture.tearDown();
});

function promoteInputs(repositoryName: string, sourceEcrImage: string, pushTag: string, extra: Record<string, string> = {}): Record<string, string> {
    return { imageSource: 'ecrimage', sourceEcrImage, repositoryName, pushTag, ...extra };
}

describe.each(taskRuntimes().map((runtime): [string, NodeRuntime] => [runtime.name, runtime]))('promotion under %s', (_name, runtime) => {
    describe('image pushed as build-42', () => {
        const repository = uniqueRepositoryName('features/promote');
        let buildDigest: string | undefined;

        beforeAll(async () => {
            await fixture.emulator.createRepository(repository);
            expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'build-42' }) }));
            buildDigest = await fixture.registry.resolveDigest(repository, 'build-42');
        });

        it('adds tags through the ECR API', async () => {
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, { inputs: promoteInputs(repository, 'build-42', 'prod\nv1'), env: { PATH: noDockerPath } });

            expectSucceeded(run);
            expect(buildDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
            expect(await fixture.registry.listTags(repository)).toEqual(['build-42', 'prod', 'v1']);
            expect(await fixture.registry.resolveDigest(repository, 'prod')).toBe(buildDigest);
            expect(await fixture.registry.resolveDigest(repository, 'v1')).toBe(buildDigest);
            expect(ecrOperations(watch.requests())).toEqual(expect.arrayContaining(['BatchGetImage', 'PutImage']));
            expect(watch.registryEvents(repository)).toEqual([]);
            expect(variableValue(run, 'imageUri')).toBe(`${fixture.registryHost}/${repository}:prod`);
            expect(variableValue(run, 'imageDigest')).toBe(buildDigest);
            expect(variableValue(run, 'imageUriWithDigest')).toBe(`${fixture.registryHost}/${repository}@${buildDigest}`);
            expect(readSummaryTable(run).rows.map((row) => row[3])).toEqual(['tagged in ECR', 'tagged in ECR']);
        });

        it('reports a tag already there', async () => {
            const run = await fixture.run(runtime, { inputs: promoteInputs(repository, 'build-42', 'build-42'), env: { PATH: noDockerPath } });

            expectSucceeded(run);
            expect(run.stdout).toContain(`${fixture.registryHost}/${repository}:build-42 already holds this image (digest ${buildDigest})`);
            expect(readSummaryTable(run).rows.map((row) => row[3])).toEqual(['already present']);
        });

        it('finds the source by digest', async () => {
            const run = await fixture.run(runtime, { inputs: promoteInputs(repository, buildDigest!, 'by-digest'), env: { PATH: noDockerPath } });

            expectSucceeded(run);
            expect(await fixture.registry.resolveDigest(repository, 'by-digest')).toBe(buildDigest);
        });

        it('fails for a missing source tag', async () => {
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, { inputs: promoteInputs(repository, 'build-missing', 'prod-2'), env: { PATH: noDockerPath } });

            const result = resultOf(run);
            expect(result.result).toBe('Failed');
            expect(result.message).toContain(`The image 'build-missing' was not found in repository ${repository}.`);
            expect(ecrOperations(watch.requests())).not.toContain('PutImage');
            expect(await fixture.registry.listTags(repository)).not.toContain('prod-2');
        });
    });

    it('rejects a taken immutable tag', async () => {
        const repository = uniqueRepositoryName('features/promote-immutable');
        await fixture.emulator.createRepository(repository, { imageTagMutability: 'IMMUTABLE' });
        expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'build-1' }) }));
        expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'prod' }) }));
        const buildDigest = await fixture.registry.resolveDigest(repository, 'build-1');
        const prodDigest = await fixture.registry.resolveDigest(repository, 'prod');
        const watch = watchEmulator(fixture.emulator);

        const run = await fixture.run(runtime, { inputs: promoteInputs(repository, 'build-1', 'v1\nprod'), env: { PATH: noDockerPath } });

        const result = resultOf(run);
        expect(result.result).toBe('Failed');
        expect(result.message).toContain("Tag 'prod'");
        expect(result.message).toContain(prodDigest);
        expect(result.message).toContain(buildDigest);
        expect(ecrOperations(watch.requests())).not.toContain('PutImage');
        expect(await fixture.registry.listTags(repository)).toEqual(['build-1', 'prod']);
    });

    it("promotes in another account's registry", async () => {
        const repository = uniqueRepositoryName('features/promote-cross');
        const otherHost = new URL(await fixture.emulator.registryFrontUrlFor(OTHER_ACCOUNT)).host;
        const inAccount = { registryId: OTHER_ACCOUNT };
        expectSucceeded(
            await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { ...inAccount, autoCreateRepository: 'true', pushTag: 'build-7' }) }),
        );
        const backendName = fixture.emulator.backendRepositoryName(repository, OTHER_ACCOUNT);
        const buildDigest = await fixture.registry.resolveDigest(backendName, 'build-7');
        const watch = watchEmulator(fixture.emulator);

        const run = await fixture.run(runtime, { inputs: promoteInputs(repository, 'build-7', 'prod', inAccount), env: { PATH: noDockerPath } });

        expectSucceeded(run);
        expect(await fixture.registry.resolveDigest(backendName, 'prod')).toBe(buildDigest);
        const putImage = watch.requests().find((request) => request.operation === 'PutImage');
        expect(putImage?.body).toMatchObject({ registryId: OTHER_ACCOUNT, repositoryName: repository, imageTag: 'prod' });
        expect(variableValue(run, 'imageUri')).toBe(`${otherHost}/${repository}:prod`);
    });
});
