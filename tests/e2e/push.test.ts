import { createImage, imageExists, listImages } from '../support/images';
import { uniqueRepositoryName } from '../support/names';
import { PushFixture, expectSucceeded, resultOf } from '../support/push-fixture';
import { taskRuntimes } from '../support/runtimes';

const fixture = new PushFixture();

beforeAll(() => fixture.setUp());
afterAll(() => fixture.tearDown());

describe.each(taskRuntimes())('push under $name', (runtime) => {
    it('pushes by name and tag', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('by-name');
        await fixture.emulator.createRepository(repository);

        const run = await fixture.run(runtime, {
            inputs: { imageSource: 'imagename', sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository, pushTag: 'v1' },
        });

        expectSucceeded(run);
        expect(await fixture.registry.listTags(repository)).toEqual(['v1']);
        const manifest = await fixture.registry.getManifest(repository, 'v1');
        expect(manifest).toBeDefined();
        expect(run.output).toContain(`${fixture.registryHost}/${repository}:v1`);
        const tokenRequest = fixture.emulator.requests.filter((request) => request.operation === 'GetAuthorizationToken').pop();
        expect(tokenRequest?.headers['user-agent']).toMatch(/ecr-push-azure-pipelines\/1\.\d+\.\d+/);
        expect(tokenRequest?.headers['user-agent']).toContain('azure-pipelines-agent/');
        expect(run.output).toMatch(/ECR GetAuthorizationToken request ID: \S+/);
    });

    it('pushes by full image ID', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('by-id');
        await fixture.emulator.createRepository(repository);

        const run = await fixture.run(runtime, {
            inputs: { imageSource: 'imageid', sourceImageId: image.id, repositoryName: repository, pushTag: 'full' },
        });

        expectSucceeded(run);
        expect(await fixture.registry.listTags(repository)).toEqual(['full']);
    });

    it('pushes by short image ID', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('by-short-id');
        await fixture.emulator.createRepository(repository);
        const shortId = image.id.replace('sha256:', '').slice(0, 12);

        const run = await fixture.run(runtime, {
            inputs: { imageSource: 'imageid', sourceImageId: shortId, repositoryName: repository, pushTag: 'short' },
        });

        expectSucceeded(run);
        expect(await fixture.registry.listTags(repository)).toEqual(['short']);
    });

    it('treats empty tags as latest', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('latest');
        await fixture.emulator.createRepository(repository);
        await createImage(fixture.dockerHost, `${image.name}:latest`, 2048);

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: '', repositoryName: repository, pushTag: '' },
        });

        expectSucceeded(run);
        expect(await fixture.registry.listTags(repository)).toEqual(['latest']);
        expect(run.output).toContain(`Checking the local image ${image.name}:latest.`);
    });

    it('creates a missing repository when asked', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('created');

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository, autoCreateRepository: 'true' },
        });

        expectSucceeded(run);
        expect(fixture.emulator.repository(repository)).toBeDefined();
        expect(await fixture.registry.listTags(repository)).toEqual(['latest']);
        expect(run.output).toContain(`Created repository ${repository}.`);
    });

    it('leaves an existing repository as it is', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('existing');
        const existing = await fixture.emulator.createRepository(repository, { imageTagMutability: 'MUTABLE' });
        const before = fixture.emulator.requests.length;

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository, autoCreateRepository: 'true' },
        });

        expectSucceeded(run);
        const operations = fixture.emulator.requests.slice(before).map((request) => request.operation);
        expect(operations).not.toContain('CreateRepository');
        expect(fixture.emulator.repository(repository)?.createdAt).toEqual(existing.createdAt);
        expect(run.output).toContain(`Repository ${repository} already exists.`);
    });

    it('creates one repository from two runs at once', async () => {
        const first = await fixture.localImage();
        const second = await fixture.localImage();
        const repository = uniqueRepositoryName('race');
        // Slow CreateRepository down so that both runs describe the repository before either creates it.
        fixture.emulator.injectFault('CreateRepository', { kind: 'slow', times: 2, delayMs: 1500 });

        const runs = await Promise.all(
            [first, second].map((image, index) =>
                fixture.run(runtime, {
                    inputs: {
                        sourceImageName: image.name,
                        sourceImageTag: image.tag,
                        repositoryName: repository,
                        pushTag: `run-${index}`,
                        autoCreateRepository: 'true',
                    },
                }),
            ),
        );

        for (const run of runs) {
            expectSucceeded(run);
        }
        expect((await fixture.registry.listTags(repository)).sort()).toEqual(['run-0', 'run-1']);
        const creates = fixture.emulator.requests.filter(
            (request) => request.operation === 'CreateRepository' && (request.body as { repositoryName?: string }).repositoryName === repository,
        );
        expect(creates.map((request) => request.errorCode ?? 'created').sort()).toEqual(['RepositoryAlreadyExistsException', 'created']);
    });

    it('explains a missing repository', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('missing');

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository },
        });

        const { result, message } = resultOf(run);
        expect(result).toBe('Failed');
        expect(message).toContain(`'${repository}'`);
        expect(message).toContain(fixture.registryHost);
        expect(message).toContain('autoCreateRepository');
        expect(await fixture.registry.listTags(repository)).toEqual([]);
    });

    it.each([
        ['My.Repo_Name', 'my.repo_name'],
        ['Team/App', 'team/app'],
    ])('applies naming conventions to %s', async (requested, expected) => {
        const image = await fixture.localImage();
        const suffix = uniqueRepositoryName('n');
        const repository = `${requested}-${suffix}`;
        const converted = `${expected}-${suffix}`;
        await fixture.emulator.createRepository(converted);

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository, forceDockerNamingConventions: 'true' },
        });

        expectSucceeded(run);
        expect(await fixture.registry.listTags(converted)).toEqual(['latest']);
        expect(run.output).toContain(`Repository name '${repository}' converted to '${converted}'`);
    });

    it('rejects a name still invalid after naming conventions', async () => {
        const image = await fixture.localImage();
        const before = fixture.emulator.requests.length;

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: 'A..B', forceDockerNamingConventions: 'true' },
        });

        const { result, message } = resultOf(run);
        expect(result).toBe('Failed');
        expect(message).toContain("'A..B', which becomes 'a..b'");
        expect(fixture.emulator.requests.length).toBe(before);
        expect(run.dockerCalls).toEqual([]);
    });

    it('sets the output variable as job and output variable', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('output');
        await fixture.emulator.createRepository(repository);

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository, pushTag: 'v2', outputVariable: 'pushedImage' },
        });

        expectSucceeded(run);
        const reference = `${fixture.registryHost}/${repository}:v2`;
        const settings = run.variables.filter((variable) => variable.name === 'pushedImage');
        expect(settings).toEqual([
            { name: 'pushedImage', value: reference, isOutput: false, isSecret: false },
            { name: 'pushedImage', value: reference, isOutput: true, isSecret: false },
        ]);
    });

    it('removes the local image after a successful push', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('remove');
        await fixture.emulator.createRepository(repository);

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository, pushTag: 'gone', removeDockerImage: 'true' },
        });

        expectSucceeded(run);
        expect(await fixture.registry.listTags(repository)).toEqual(['gone']);
        expect(await imageExists(fixture.dockerHost, image.id)).toBe(false);
        const references = (await listImages(fixture.dockerHost)).map((local) => local.reference);
        expect(references).not.toContain(image.reference);
        expect(references).not.toContain(`${fixture.registryHost}/${repository}:gone`);
    });

    it('keeps the local image when the push fails', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('kept');
        await fixture.emulator.createRepository(repository);
        const restricted = fixture.emulator.addCredentials({ label: 'user without upload permission' });
        fixture.emulator.denyAction('ecr:InitiateLayerUpload', { accessKeyId: restricted.accessKeyId });

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository, removeDockerImage: 'true' },
            env: { AWS_ACCESS_KEY_ID: restricted.accessKeyId, AWS_SECRET_ACCESS_KEY: restricted.secretAccessKey },
        });

        expect(resultOf(run).result).toBe('Failed');
        expect(resultOf(run).message).toContain('ecr:InitiateLayerUpload');
        expect(await imageExists(fixture.dockerHost, image.reference)).toBe(true);
        expect(await imageExists(fixture.dockerHost, image.id)).toBe(true);
    });
});
