import * as path from 'node:path';

import { LocalImages, pushInputs } from '../support/local-images';
import { uniqueRepositoryName } from '../support/names';
import { readSummaryTable, summaryFile, variableValue, watchEmulator, type EmulatorWatch } from '../support/observations';
import { expectSucceeded, PushFixture, resultOf } from '../support/push-fixture';
import type { TaskRun } from '../support/run-task';
import { type NodeRuntime, taskRuntimes } from '../support/runtimes';

// Pushing a local image with the inputs and outputs the original task did not
// have: several tags, digest output variables, the job summary, and skipping
// tags that already point at the image. Every test runs the built task under
// Node 20 and Node 24.

const fixture = new PushFixture();
const images = new LocalImages(fixture.dockerHost);

beforeAll(() => fixture.setUp());

afterEach(() => images.removeAll());

afterAll(() => fixture.tearDown());

describe.each(taskRuntimes().map((runtime): [string, NodeRuntime] => [runtime.name, runtime]))('push under %s', (_name, runtime) => {
    describe('three tags in one step', () => {
        const repository = uniqueRepositoryName('features/tags');
        let run: TaskRun;
        let watch: EmulatorWatch;

        beforeAll(async () => {
            await fixture.emulator.createRepository(repository);
            const image = await images.create({ sizeBytes: 64 * 1024, layers: 2 });
            watch = watchEmulator(fixture.emulator);
            run = await fixture.run(runtime, {
                inputs: pushInputs(image, repository, { pushTag: '1.2.3\nlatest, stable', outputVariable: 'pushedImage' }),
            });
        });

        const reference = (tag: string): string => `${fixture.registryHost}/${repository}:${tag}`;

        it('stores every tag at one digest', async () => {
            expectSucceeded(run);
            expect(await fixture.registry.listTags(repository)).toEqual(['1.2.3', 'latest', 'stable']);

            const digest = await fixture.registry.resolveDigest(repository, '1.2.3');
            expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
            expect(await fixture.registry.resolveDigest(repository, 'latest')).toBe(digest);
            expect(await fixture.registry.resolveDigest(repository, 'stable')).toBe(digest);
        });

        it('uploads each blob once', async () => {
            const manifest = JSON.parse((await fixture.registry.getManifest(repository, '1.2.3'))!.body) as {
                config: { digest: string };
                layers: { digest: string }[];
            };
            const blobs = [manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)];
            const uploaded = watch
                .registryEvents(repository)
                .filter((event) => event.kind === 'blob-upload-complete' && event.status === 201)
                .map((event) => event.digest);

            expect(manifest.layers).toHaveLength(2);
            expect([...uploaded].sort()).toEqual([...blobs].sort());
        });

        it('writes at most one manifest per tag', () => {
            const manifestWrites = watch.registryEvents(repository).filter((event) => event.kind === 'manifest-put');
            const writesPerTag = new Map<string, number>();
            for (const write of manifestWrites) {
                writesPerTag.set(write.reference ?? '', (writesPerTag.get(write.reference ?? '') ?? 0) + 1);
            }

            expect(Object.fromEntries(writesPerTag)).toEqual({ '1.2.3': 1, latest: 1, stable: 1 });
        });

        it('sets the digest output variables', async () => {
            const digest = await fixture.registry.resolveDigest(repository, '1.2.3');

            expect(variableValue(run, 'imageUri')).toBe(reference('1.2.3'));
            expect(variableValue(run, 'imageDigest')).toBe(digest);
            expect(variableValue(run, 'imageUriWithDigest')).toBe(`${fixture.registryHost}/${repository}@${digest}`);
            expect(variableValue(run, 'imageUris')).toBe([reference('1.2.3'), reference('latest'), reference('stable')].join(','));
        });

        it('sets declared variables as outputs only', () => {
            const declared = ['imageUri', 'imageDigest', 'imageUriWithDigest', 'imageUris'];
            const settings = run.variables.filter((candidate) => declared.includes(candidate.name));

            expect(settings.filter((candidate) => !candidate.isOutput)).toEqual([]);
            expect(settings.filter((candidate) => candidate.isSecret)).toEqual([]);
        });

        it('sets outputVariable plain and as output', () => {
            expect(variableValue(run, 'pushedImage', false)).toBe(reference('1.2.3'));
            expect(variableValue(run, 'pushedImage', true)).toBe(reference('1.2.3'));
        });

        it('attaches a summary with one row per tag', async () => {
            const file = summaryFile(run);
            expect(file).toBeDefined();
            expect(path.dirname(file!)).toBe(run.directories.agentTemp);

            const digest = await fixture.registry.resolveDigest(repository, '1.2.3');
            const table = readSummaryTable(run);
            expect(table.header).toEqual(['Image URI', 'Digest', 'Size', 'Result']);
            expect(table.separator.every((cell) => /^:?-{3,}:?$/.test(cell))).toBe(true);
            expect(table.rows.map((row) => row[0])).toEqual([`\`${reference('1.2.3')}\``, `\`${reference('latest')}\``, `\`${reference('stable')}\``]);
            for (const row of table.rows) {
                expect(row).toHaveLength(4);
                expect(row[1]).toBe(`\`${digest}\``);
                expect(row[2]).toMatch(/^\d+\.\d KiB$/);
                expect(row[3]).toBe('pushed');
            }
        });
    });

    describe('unchanged image', () => {
        it('skips a tag already at the image', async () => {
            const repository = uniqueRepositoryName('features/same');
            await fixture.emulator.createRepository(repository);
            const inputs = pushInputs(await images.create(), repository, { pushTag: 'v1' });
            expectSucceeded(await fixture.run(runtime, { inputs }));
            const digest = await fixture.registry.resolveDigest(repository, 'v1');
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, { inputs });

            expectSucceeded(run);
            const events = watch.registryEvents(repository);
            expect(events.filter((event) => event.kind.startsWith('blob-upload') || event.kind === 'blob-mount')).toEqual([]);
            expect(events.filter((event) => event.kind === 'manifest-put')).toEqual([]);
            expect(run.stdout).toContain(`${fixture.registryHost}/${repository}:v1 already holds this image (digest ${digest})`);
            expect(run.dockerCalls.map((call) => call.args[0])).not.toContain('push');
            expect(variableValue(run, 'imageDigest')).toBe(digest);
            expect(readSummaryTable(run).rows.map((row) => row[3])).toEqual(['already present']);
        });

        it('pushes only the missing tag', async () => {
            const repository = uniqueRepositoryName('features/partial');
            await fixture.emulator.createRepository(repository);
            const image = await images.create();
            expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(image, repository, { pushTag: 'v1' }) }));
            const digest = await fixture.registry.resolveDigest(repository, 'v1');
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, { inputs: pushInputs(image, repository, { pushTag: 'v1, v2' }) });

            expectSucceeded(run);
            const events = watch.registryEvents(repository);
            expect(events.filter((event) => event.kind.startsWith('blob-upload'))).toEqual([]);
            expect(events.filter((event) => event.kind === 'manifest-put').map((event) => event.reference)).toEqual(['v2']);
            expect(await fixture.registry.resolveDigest(repository, 'v2')).toBe(digest);
            expect(variableValue(run, 'imageUris')).toBe(`${fixture.registryHost}/${repository}:v1,${fixture.registryHost}/${repository}:v2`);
            expect(readSummaryTable(run).rows.map((row) => row[3])).toEqual(['already present', 'pushed']);
        });
    });

    describe('immutable tags', () => {
        it('rejects a taken tag before uploading', async () => {
            const repository = uniqueRepositoryName('features/immutable');
            await fixture.emulator.createRepository(repository, { imageTagMutability: 'IMMUTABLE' });
            expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'release' }) }));
            const releasedDigest = await fixture.registry.resolveDigest(repository, 'release');
            const second = await images.create();
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, { inputs: pushInputs(second, repository, { pushTag: 'release' }) });

            const result = resultOf(run);
            expect(result.result).toBe('Failed');
            expect(result.message).toContain("Tag 'release'");
            expect(result.message).toContain(releasedDigest);
            expect(result.message).toContain(second.id);
            expect(watch.registryEvents(repository)).toEqual([]);
            expect(await fixture.registry.resolveDigest(repository, 'release')).toBe(releasedDigest);
        });

        it('moves a tag excluded from immutability', async () => {
            const repository = uniqueRepositoryName('features/excluded');
            await fixture.emulator.createRepository(repository, {
                imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
                imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
            });
            expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'latest' }) }));
            const firstDigest = await fixture.registry.resolveDigest(repository, 'latest');

            const run = await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'latest' }) });

            expectSucceeded(run);
            const secondDigest = await fixture.registry.resolveDigest(repository, 'latest');
            expect(secondDigest).not.toBe(firstDigest);
            expect(variableValue(run, 'imageDigest')).toBe(secondDigest);
        });

        it('rejects a tag made immutable by a filter', async () => {
            const repository = uniqueRepositoryName('features/filtered');
            await fixture.emulator.createRepository(repository, {
                imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
                imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'release-*' }],
            });
            expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'release-1' }) }));
            const releasedDigest = await fixture.registry.resolveDigest(repository, 'release-1');
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'release-1' }) });

            const result = resultOf(run);
            expect(result.result).toBe('Failed');
            expect(result.message).toContain("Tag 'release-1'");
            expect(result.message).toContain(releasedDigest);
            expect(watch.registryEvents(repository)).toEqual([]);
        });
    });

    describe('optional ECR calls', () => {
        it('pushes without the optional permissions', async () => {
            const repository = uniqueRepositoryName('features/restricted');
            await fixture.emulator.createRepository(repository);
            const restricted = fixture.emulator.addCredentials({ label: 'push-only user' });
            for (const action of ['ecr:DescribeRepositories', 'ecr:DescribeImages', 'ecr:BatchGetImage']) {
                fixture.emulator.denyAction(action, { accessKeyId: restricted.accessKeyId });
            }

            const run = await fixture.run(runtime, {
                inputs: pushInputs(await images.create(), repository, { pushTag: 'v1' }),
                env: { AWS_ACCESS_KEY_ID: restricted.accessKeyId, AWS_SECRET_ACCESS_KEY: restricted.secretAccessKey },
            });

            expectSucceeded(run);
            const digest = await fixture.registry.resolveDigest(repository, 'v1');
            const [row] = readSummaryTable(run).rows;
            expect(row[0]).toBe(`\`${fixture.registryHost}/${repository}:v1\``);
            expect(row[1]).toBe(`\`${digest}\``);
            // The size comes from the local image, so no ECR permission is needed for it.
            expect(row[2]).toMatch(/^\d+(\.\d)? (B|KiB|MiB)$/);
            expect(row[3]).toBe('pushed');
            expect(variableValue(run, 'imageDigest')).toBe(digest);
        });

        it('succeeds when the size lookup fails', async () => {
            const repository = uniqueRepositoryName('features/size-failure');
            await fixture.emulator.createRepository(repository);
            expectSucceeded(await fixture.run(runtime, { inputs: pushInputs(await images.create(), repository, { pushTag: 'build' }) }));
            // Only a promotion requests the size from ECR. One attempt per call, so that the single fault is used up by this run.
            fixture.emulator.injectFault('DescribeImages', { kind: 'server-error', times: 1 });

            const run = await fixture.run(runtime, {
                inputs: { imageSource: 'ecrimage', sourceEcrImage: 'build', repositoryName: repository, pushTag: 'v1' },
                env: { AWS_MAX_ATTEMPTS: '1' },
            });

            expectSucceeded(run);
            expect((await fixture.registry.listTags(repository)).sort()).toEqual(['build', 'v1']);
            expect(readSummaryTable(run).rows.map((row) => row[2])).toEqual(['unknown']);
        });
    });
});
