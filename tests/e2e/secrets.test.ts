import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { runDockerChecked } from '../support/docker-cli';
import { uniqueRepositoryName } from '../support/names';
import { PushFixture, expectSucceeded, resultOf } from '../support/push-fixture';
import type { TaskRun } from '../support/run-task';
import { taskRuntimes } from '../support/runtimes';

const fixture = new PushFixture();

beforeAll(() => fixture.setUp());
afterAll(() => fixture.tearDown());

const PRIVATE_CONFIG_PREFIX = 'ecr-push-docker-';

/** Lists every file under a directory, with its content. */
function filesUnder(directory: string): { file: string; content: string }[] {
    if (!fs.existsSync(directory)) {
        return [];
    }
    const files: { file: string; content: string }[] = [];
    for (const entry of fs.readdirSync(directory, { withFileTypes: true, recursive: true })) {
        const file = path.join(entry.parentPath, entry.name);
        if (entry.isFile()) {
            files.push({ file, content: fs.readFileSync(file, 'latin1') });
        }
    }
    return files;
}

function privateConfigDirectories(run: TaskRun): string[] {
    return fs.readdirSync(run.directories.agentTemp).filter((name) => name.startsWith(PRIVATE_CONFIG_PREFIX));
}

function loginCall(run: TaskRun) {
    return run.dockerCalls.find((call) => call.args[0] === 'login');
}

describe.each(taskRuntimes())('secrets under $name', (runtime) => {
    it('never prints, passes or leaves a secret', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('leak');
        await fixture.emulator.createRepository(repository);
        const sessionUser = fixture.emulator.addCredentials({ label: 'connection with session token', sessionToken: `session-${Date.now()}-token` });
        const ecrToken = Buffer.from(`AWS:${fixture.services.registryPassword}`).toString('base64');
        const secrets = {
            'secret access key': sessionUser.secretAccessKey,
            'session token': sessionUser.sessionToken!,
            'ECR password': fixture.services.registryPassword,
            'ECR token': ecrToken,
        };

        const run = await fixture.run(runtime, {
            inputs: {
                awsCredentials: 'conn',
                sourceImageName: image.name,
                sourceImageTag: image.tag,
                repositoryName: repository,
                logRequest: 'true',
                logResponse: 'true',
            },
            endpoints: [
                {
                    id: 'conn',
                    scheme: 'UsernamePassword',
                    parameters: { username: sessionUser.accessKeyId, password: sessionUser.secretAccessKey, sessionToken: sessionUser.sessionToken! },
                },
            ],
            variables: { 'System.Debug': 'true' },
            env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined },
        });

        expectSucceeded(run);
        expect(fixture.emulator.requests.find((request) => request.operation === 'GetAuthorizationToken' && request.accessKeyId === sessionUser.accessKeyId)).toBeDefined();
        // The diagnostic inputs really logged headers, so the check below covers them.
        expect(run.output).toMatch(/AWS request: POST http:\/\/127\.0\.0\.1:\d+\/ .*"authorization":"<redacted>"/);
        expect(run.output).toMatch(/"x-amz-security-token":"<redacted>"/);
        expect(run.output).toMatch(/AWS response: HTTP 200/);

        const masked = run.maskedOutput();
        for (const [name, secret] of Object.entries(secrets)) {
            expect({ name, registered: run.secrets.includes(secret) }).toEqual({ name, registered: true });
            expect({ name, inMaskedOutput: masked.includes(secret) }).toEqual({ name, inMaskedOutput: false });
            const linesWithSecret = run.output.split('\n').filter((line) => line.includes(secret));
            expect({ name, lines: linesWithSecret.filter((line) => !line.startsWith('##vso[task.setsecret]')) }).toEqual({ name, lines: [] });
            for (const call of run.dockerCalls) {
                expect({ name, args: call.args.filter((argument) => argument.includes(secret)) }).toEqual({ name, args: [] });
            }
            for (const { file, content } of filesUnder(run.directories.root)) {
                expect({ name, file, holdsSecret: content.includes(secret) }).toEqual({ name, file, holdsSecret: false });
            }
        }

        const login = loginCall(run);
        expect(login?.args).toEqual(['login', '--username', 'AWS', '--password-stdin', fixture.emulator.registryFrontUrl]);
        expect(login?.dockerConfig?.startsWith(path.join(run.directories.agentTemp, PRIVATE_CONFIG_PREFIX))).toBe(true);
        expect(privateConfigDirectories(run)).toEqual([]);
    });

    it('deletes the private config after a failed push', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('failed');
        await fixture.emulator.createRepository(repository);
        const restricted = fixture.emulator.addCredentials({ label: 'user without upload permission' });
        fixture.emulator.denyAction('ecr:InitiateLayerUpload', { accessKeyId: restricted.accessKeyId });

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository },
            env: { AWS_ACCESS_KEY_ID: restricted.accessKeyId, AWS_SECRET_ACCESS_KEY: restricted.secretAccessKey },
        });

        expect(resultOf(run).result).toBe('Failed');
        expect(loginCall(run)).toBeDefined();
        expect(privateConfigDirectories(run)).toEqual([]);
    });

    it.each([
        ['SIGTERM', 143],
        ['SIGINT', 130],
    ] as const)('deletes the private config on %s', async (signal, exitCode) => {
        const image = await fixture.localImage(8 * 1024 * 1024);
        const repository = uniqueRepositoryName('cancelled');
        await fixture.emulator.createRepository(repository);
        // A slow upload of the image's one layer keeps the push running while the signal arrives.
        fixture.emulator.injectFault('registry:blob-upload-chunk', { kind: 'slow', times: 1, delayMs: 3000 });

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository },
            signalWhen: { text: /Pushing \S+/, signal, delayMs: 300 },
        });

        expect(run.signalSent).toBe(true);
        expect(loginCall(run)).toBeDefined();
        expect(resultOf(run).result).toBe('Cancelled');
        expect(run.exitCode).toBe(exitCode);
        expect(privateConfigDirectories(run)).toEqual([]);
        expect(await fixture.registry.listTags(repository)).toEqual([]);
    });

    it('leaves the user docker config untouched', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('user-config');
        await fixture.emulator.createRepository(repository);

        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'user-home-'));
        const helperBin = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-helper-'));
        try {
            const userConfig = path.join(home, '.docker', 'config.json');
            fs.mkdirSync(path.dirname(userConfig));
            const original = JSON.stringify({ auths: { 'registry.example.test': {} }, credsStore: 'broken' }, null, '\t');
            fs.writeFileSync(userConfig, original);
            const helperCalls = path.join(helperBin, 'calls.log');
            // A credential helper that always fails, as a size-limited or broken one does with ECR tokens.
            fs.writeFileSync(path.join(helperBin, 'docker-credential-broken'), `#!/bin/sh\necho "$@" >> '${helperCalls}'\nexit 1\n`, { mode: 0o755 });
            const modified = fs.statSync(userConfig).mtimeMs;

            const run = await fixture.run(runtime, {
                inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository },
                env: { HOME: home, PATH: `${helperBin}${path.delimiter}${process.env.PATH}` },
                recordDocker: true,
            });

            expectSucceeded(run);
            expect(await fixture.registry.listTags(repository)).toEqual(['latest']);
            expect(fs.readFileSync(userConfig, 'utf8')).toBe(original);
            expect(fs.statSync(userConfig).mtimeMs).toBe(modified);
            expect(fs.readdirSync(path.join(home, '.docker'))).toEqual(['config.json']);
            expect(fs.existsSync(helperCalls)).toBe(false);
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
            fs.rmSync(helperBin, { recursive: true, force: true });
        }
    });

    it('keeps the user docker context', async () => {
        const image = await fixture.localImage();
        const repository = uniqueRepositoryName('context');
        await fixture.emulator.createRepository(repository);

        // A context is the only thing that points docker at the test engine: DOCKER_HOST is unset.
        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'context-home-'));
        try {
            const dockerConfig = { DOCKER_CONFIG: path.join(home, '.docker') };
            await runDockerChecked(fixture.dockerHost, ['context', 'create', 'test-engine', '--docker', `host=${fixture.dockerHost}`], { env: dockerConfig });
            await runDockerChecked(fixture.dockerHost, ['context', 'use', 'test-engine'], { env: dockerConfig });
            const userConfig = path.join(home, '.docker', 'config.json');
            const original = fs.readFileSync(userConfig, 'utf8');

            const run = await fixture.run(runtime, {
                inputs: { sourceImageName: image.name, sourceImageTag: image.tag, repositoryName: repository },
                env: { HOME: home, DOCKER_HOST: undefined },
            });

            expectSucceeded(run);
            expect(await fixture.registry.listTags(repository)).toEqual(['latest']);
            expect(run.dockerCalls.every((call) => call.dockerHost === undefined || call.dockerHost === '')).toBe(true);
            expect(loginCall(run)?.dockerConfig?.startsWith(run.directories.agentTemp)).toBe(true);
            expect(fs.readFileSync(userConfig, 'utf8')).toBe(original);
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    });
});
