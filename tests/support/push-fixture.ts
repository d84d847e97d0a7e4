import { AwsEmulator, type CredentialRecord } from '../emulator';
import { testServices, type TestServices } from '../rig/environment';
import { createImage } from './images';
import { uniqueRepositoryName } from './names';
import { RegistryClient } from './registry-client';
import { runTask, type RunTaskOptions, type TaskRun } from './run-task';
import type { NodeRuntime } from './runtimes';

export const REGION = 'eu-west-1';

/**
 * Test environment of one end-to-end test file: the shared engine and
 * registry, an emulator of its own, and an access key registered with that
 * emulator. Call `setUp` in beforeAll and `tearDown` in afterAll.
 */
export class PushFixture {
    readonly services: TestServices = testServices();
    emulator!: AwsEmulator;
    registry!: RegistryClient;
    user!: CredentialRecord;
    private readonly runs: TaskRun[] = [];

    async setUp(): Promise<void> {
        this.emulator = await AwsEmulator.start({
            registryUrl: this.services.registryUrl,
            registryPassword: this.services.registryPassword,
        });
        this.registry = new RegistryClient({ url: this.services.registryUrl, password: this.services.registryPassword });
        this.user = this.emulator.addCredentials({ label: 'environment user' });
    }

    async tearDown(): Promise<void> {
        for (const run of this.runs) {
            run.cleanup();
        }
        await this.emulator?.stop();
    }

    get dockerHost(): string {
        return this.services.dockerHost;
    }

    /** The registry host the emulator hands out, as it appears in pushed image references. */
    get registryHost(): string {
        return this.emulator.registryFrontHost;
    }

    /** Creates a small, unique local image and returns its reference and ID. */
    async localImage(sizeBytes = 4096): Promise<{ name: string; tag: string; reference: string; id: string }> {
        const name = uniqueRepositoryName('local');
        const tag = 'build';
        const reference = `${name}:${tag}`;
        const id = await createImage(this.dockerHost, reference, sizeBytes);
        return { name, tag, reference, id };
    }

    /** Environment that sends the task's AWS calls to the emulator, signed with the fixture's user. */
    awsEnvironment(): Record<string, string> {
        return {
            AWS_ENDPOINT_URL_ECR: this.emulator.url,
            AWS_ENDPOINT_URL_STS: this.emulator.url,
            AWS_ACCESS_KEY_ID: this.user.accessKeyId,
            AWS_SECRET_ACCESS_KEY: this.user.secretAccessKey,
            AWS_MAX_ATTEMPTS: '2',
        };
    }

    /** Runs the built task under a runtime with the emulator's environment, plus the options given. */
    async run(runtime: NodeRuntime, options: RunTaskOptions): Promise<TaskRun> {
        const run = await runTask({
            ...options,
            nodeBinary: runtime.path,
            inputs: { regionName: REGION, ...options.inputs },
            env: { ...this.awsEnvironment(), ...options.env },
        });
        this.runs.push(run);
        return run;
    }
}

/** Returns the message of the task's result, failing the test with the whole output when there is none. */
export function resultOf(run: TaskRun): { result: string; message: string } {
    if (!run.result) {
        throw new Error(`The task printed no task.complete command. Output:\n${run.output}`);
    }
    return run.result;
}

/** Fails with the task's output when the run did not succeed, so a broken push explains itself. */
export function expectSucceeded(run: TaskRun): void {
    if (run.result?.result !== 'Succeeded') {
        throw new Error(`Expected the task to succeed, but it ended with ${JSON.stringify(run.result)}. Output:\n${run.output}`);
    }
}
