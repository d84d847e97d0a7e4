import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { LocalImages, pushInputs } from '../support/local-images';
import { uniqueRepositoryName } from '../support/names';
import { ecrOperations, readSummaryTable, summaryFile, variableValue, watchEmulator } from '../support/observations';
import { expectSucceeded, PushFixture, resultOf } from '../support/push-fixture';
import { type NodeRuntime, taskRuntimes } from '../support/runtimes';

// The repository side of a push. The task gives a repository it creates the
// settings of its inputs: tag mutability, scan on push, encryption, resource
// tags, and lifecycle and repository policies from workspace files. The
// registryId input sends every ECR call to another account's registry. Every
// test runs the built task under Node 20 and Node 24.

const LIFECYCLE_POLICY = `${JSON.stringify(
    {
        rules: [
            {
                rulePriority: 1,
                description: 'Keep the last 10 images',
                selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
                action: { type: 'expire' },
            },
        ],
    },
    null,
    2,
)}\n`;

const REPOSITORY_POLICY = `${JSON.stringify(
    {
        Version: '2012-10-17',
        Statement: [
            {
                Sid: 'AllowPull',
                Effect: 'Allow',
                Principal: { AWS: 'arn:aws:iam::210987654321:root' },
                Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            },
        ],
    },
    null,
    2,
)}\n`;

const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0b4e2f9c-5d1a-4c3e-9f7b-2a6d8e1c0f35';
const OTHER_ACCOUNT = '210987654321';
/** ECR calls that change a repository. */
const REPOSITORY_WRITES = ['CreateRepository', 'PutLifecyclePolicy', 'SetRepositoryPolicy', 'TagResource'];

/** Every repository setting input, with the policy files at the paths of writePolicies. */
const ALL_SETTINGS = {
    autoCreateRepository: 'true',
    imageTagMutability: 'IMMUTABLE',
    scanOnPush: 'true',
    encryptionType: 'KMS',
    kmsKey: KMS_KEY,
    repositoryTags: 'team=platform\ncost-center = 42\n',
    lifecyclePolicyFile: 'policies/lifecycle.json',
    repositoryPolicyFile: 'policies/repository.json',
};

const fixture = new PushFixture();
const images = new LocalImages(fixture.dockerHost);
let workspace: string;

beforeAll(() => fixture.setUp());

beforeEach(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'features-workspace-'));
});

afterEach(async () => {
    fs.rmSync(workspace, { recursive: true, force: true });
    await images.removeAll();
});

afterAll(() => fixture.tearDown());

function writeWorkspaceFile(name: string, content: string): void {
    fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    fs.writeFileSync(path.join(workspace, name), content);
}

function writePolicies(): void {
    writeWorkspaceFile(ALL_SETTINGS.lifecyclePolicyFile, LIFECYCLE_POLICY);
    writeWorkspaceFile(ALL_SETTINGS.repositoryPolicyFile, REPOSITORY_POLICY);
}

describe.each(taskRuntimes().map((runtime): [string, NodeRuntime] => [runtime.name, runtime]))('repository under %s', (_name, runtime) => {
    describe('settings of a new repository', () => {
        it('creates the repository with every setting', async () => {
            const repository = uniqueRepositoryName('features/settings');
            writePolicies();

            const run = await fixture.run(runtime, { cwd: workspace, inputs: pushInputs(await images.create(), repository, ALL_SETTINGS) });

            expectSucceeded(run);
            const created = fixture.emulator.repository(repository);
            expect(created?.imageTagMutability).toBe('IMMUTABLE');
            expect(created?.imageScanningConfiguration).toEqual({ scanOnPush: true });
            expect(created?.encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey: KMS_KEY });
            expect(created?.tags).toEqual([
                { Key: 'team', Value: 'platform' },
                { Key: 'cost-center', Value: '42' },
            ]);
            expect(created?.lifecyclePolicyText).toBe(LIFECYCLE_POLICY);
            expect(created?.repositoryPolicyText).toBe(REPOSITORY_POLICY);
            expect(await fixture.registry.listTags(repository)).toEqual(['latest']);
            expect(fs.readFileSync(summaryFile(run)!, 'utf8')).toContain('(created by this run)');
        });

        it('reads a policy file by absolute path', async () => {
            const repository = uniqueRepositoryName('features/absolute');
            writeWorkspaceFile('lifecycle.json', LIFECYCLE_POLICY);
            const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'features-elsewhere-'));

            const run = await fixture.run(runtime, {
                cwd: elsewhere,
                inputs: pushInputs(await images.create(), repository, {
                    autoCreateRepository: 'true',
                    lifecyclePolicyFile: path.join(workspace, 'lifecycle.json'),
                }),
            });
            fs.rmSync(elsewhere, { recursive: true, force: true });

            expectSucceeded(run);
            expect(fixture.emulator.repository(repository)?.lifecyclePolicyText).toBe(LIFECYCLE_POLICY);
        });

        it.each([
            ['a missing value', '{\n  "rules": [\n    { "rulePriority": ,\n', 'line 3, column 23'],
            ['a trailing comma', '{\n  "rules": [\n    { "rulePriority": 1, }\n  ]\n}\n', 'line 3, column 26'],
            ['a cut-off file', '{\n  "rules": [\n', 'line 3, column 1'],
        ])('rejects a lifecycle policy with %s', async (_case, policy, position) => {
            const repository = uniqueRepositoryName('features/bad-policy');
            writeWorkspaceFile('lifecycle.json', policy);
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, {
                cwd: workspace,
                inputs: pushInputs({ name: 'local/never-inspected', tag: 'build' }, repository, {
                    autoCreateRepository: 'true',
                    lifecyclePolicyFile: 'lifecycle.json',
                }),
            });

            const result = resultOf(run);
            expect(result.result).toBe('Failed');
            expect(result.message).toContain("Input lifecyclePolicyFile names the file 'lifecycle.json', which is not valid JSON");
            expect(result.message).toContain(`: ${position}: `);
            expect(result.message).not.toMatch(/[\r\n]/);
            expect(watch.requests()).toEqual([]);
            expect(run.dockerCalls).toEqual([]);
            expect(fixture.emulator.repository(repository)).toBeUndefined();
        });

        it('rejects a repository policy without statements', async () => {
            const repository = uniqueRepositoryName('features/bad-statement');
            writeWorkspaceFile('repository.json', '{ "Version": "2012-10-17" }');
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, {
                cwd: workspace,
                inputs: pushInputs({ name: 'local/never-inspected', tag: 'build' }, repository, {
                    autoCreateRepository: 'true',
                    repositoryPolicyFile: 'repository.json',
                }),
            });

            const result = resultOf(run);
            expect(result.result).toBe('Failed');
            expect(result.message).toContain("Input repositoryPolicyFile names the file 'repository.json', which is not a valid policy");
            expect(watch.requests()).toEqual([]);
        });

        it('leaves an existing repository as it was', async () => {
            const repository = uniqueRepositoryName('features/existing');
            const existing = await fixture.emulator.createRepository(repository);
            const before = structuredClone(existing);
            writePolicies();
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, { cwd: workspace, inputs: pushInputs(await images.create(), repository, ALL_SETTINGS) });

            expectSucceeded(run);
            expect(fixture.emulator.repository(repository)).toEqual(before);
            expect(ecrOperations(watch.requests()).filter((operation) => REPOSITORY_WRITES.includes(operation))).toEqual([]);
            expect(run.stdout).toContain(`Repository ${repository} already exists.`);
            expect(await fixture.registry.listTags(repository)).toEqual(['latest']);
            expect(fs.readFileSync(summaryFile(run)!, 'utf8')).not.toContain('(created by this run)');
        });
    });

    describe('registry of another account', () => {
        it('sends every ECR call to registryId', async () => {
            const repository = uniqueRepositoryName('features/cross');
            writePolicies();
            const watch = watchEmulator(fixture.emulator);

            const run = await fixture.run(runtime, {
                cwd: workspace,
                inputs: pushInputs(await images.create(), repository, { ...ALL_SETTINGS, pushTag: 'v1', registryId: OTHER_ACCOUNT }),
            });

            expectSucceeded(run);
            const ecrRequests = watch.requests().filter((request) => request.service === 'ecr');
            expect(ecrRequests.map((request) => request.operation)).toEqual(
                expect.arrayContaining(['GetAuthorizationToken', 'DescribeRepositories', 'CreateRepository', 'PutLifecyclePolicy', 'SetRepositoryPolicy']),
            );
            for (const request of ecrRequests) {
                const body = request.body as { registryId?: string; registryIds?: string[] };
                const target = request.operation === 'GetAuthorizationToken' ? body.registryIds : [body.registryId];
                expect({ operation: request.operation, target }).toEqual({ operation: request.operation, target: [OTHER_ACCOUNT] });
            }
        });

        it('stores the image in that registry', async () => {
            const repository = uniqueRepositoryName('features/cross');
            const otherHost = new URL(await fixture.emulator.registryFrontUrlFor(OTHER_ACCOUNT)).host;

            const run = await fixture.run(runtime, {
                inputs: pushInputs(await images.create(), repository, { pushTag: 'v1', registryId: OTHER_ACCOUNT, autoCreateRepository: 'true' }),
            });

            expectSucceeded(run);
            expect(fixture.emulator.repository(repository, OTHER_ACCOUNT)).toBeDefined();
            expect(fixture.emulator.repository(repository)).toBeUndefined();
            const backendName = fixture.emulator.backendRepositoryName(repository, OTHER_ACCOUNT);
            const digest = await fixture.registry.resolveDigest(backendName, 'v1');
            expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
            expect(await fixture.registry.listTags(repository)).toEqual([]);
            expect(variableValue(run, 'imageUri')).toBe(`${otherHost}/${repository}:v1`);
            expect(variableValue(run, 'imageUriWithDigest')).toBe(`${otherHost}/${repository}@${digest}`);
            expect(readSummaryTable(run).rows.map((row) => row[0])).toEqual([`\`${otherHost}/${repository}:v1\``]);
        });
    });
});
