import * as net from 'node:net';
import { AwsEmulator, type AwsEmulatorOptions } from '../emulator';
import { testServices, type TestServices } from '../rig/environment';
import { createImage, removeImage } from './images';
import { uniqueRepositoryName } from './names';
import { runTask, type RunTaskOptions, type TaskRun } from './run-task';
import type { NodeRuntime } from './runtimes';

/** A small local image made for one test. The fixture removes it in tearDown. */
export interface LocalImage {
    readonly name: string;
    readonly tag: string;
    readonly id: string;
}

/**
 * The shared engine and registry and an emulator of the test file's own, for tests
 * that check where the task takes credentials, the region and the proxy from. No AWS
 * setting reaches the task unless the test gives it. Call setUp in beforeAll and
 * tearDown in afterAll.
 */
export class SourceFixture {
    readonly services: TestServices = testServices();
    emulator!: AwsEmulator;
    private readonly runs: TaskRun[] = [];
    private readonly images: string[] = [];

    async setUp(options: Pick<AwsEmulatorOptions, 'tls' | 'region'> = {}): Promise<void> {
        this.emulator = await AwsEmulator.start({
            registryUrl: this.services.registryUrl,
            registryPassword: this.services.registryPassword,
            ...options,
        });
    }

    async tearDown(): Promise<void> {
        for (const run of this.runs) {
            run.cleanup();
        }
        for (const id of this.images) {
            await removeImage(this.services.dockerHost, id, { force: true });
        }
        await this.emulator?.stop();
    }

    /** Creates a unique image of a few kilobytes, so that a push costs about a second. */
    async localImage(): Promise<LocalImage> {
        const name = uniqueRepositoryName('source');
        const tag = 'build';
        const id = await createImage(this.services.dockerHost, `${name}:${tag}`, 4096);
        this.images.push(id);
        return { name, tag, id };
    }

    /** Creates a repository and a local image, and returns the inputs that push one into the other. */
    async pushInputs(prefix: string): Promise<Record<string, string>> {
        const image = await this.localImage();
        const repositoryName = uniqueRepositoryName(prefix);
        await this.emulator.createRepository(repositoryName);
        return { imageSource: 'imagename', sourceImageName: image.name, sourceImageTag: image.tag, repositoryName, pushTag: 'v1' };
    }

    /** Returns the settings that send ECR and STS calls to the emulator, with no credentials and no region. */
    endpointEnvironment(): Record<string, string> {
        return { AWS_ENDPOINT_URL_ECR: this.emulator.url, AWS_ENDPOINT_URL_STS: this.emulator.url };
    }

    /** Runs the built task under a runtime, with the emulator's endpoints and the options given. */
    async run(runtime: NodeRuntime, options: RunTaskOptions): Promise<TaskRun> {
        const run = await runTask({
            ...options,
            nodeBinary: runtime.path,
            env: { ...this.endpointEnvironment(), ...options.env },
        });
        this.runs.push(run);
        return run;
    }

    /** Returns the access keys that signed the calls of one ECR or STS operation, in order. */
    signersOf(operation: string): (string | undefined)[] {
        return this.emulator.requests.filter((request) => request.operation === operation).map((request) => request.accessKeyId);
    }
}

/** Fails with the task's output when the run did not succeed, so that a broken run explains itself. */
export function expectSucceeded(run: TaskRun): void {
    if (run.result?.result !== 'Succeeded') {
        throw new Error(`Expected the task to succeed, but it ended with ${JSON.stringify(run.result)}. Output:\n${run.output}`);
    }
}

/** Returns the message the task failed with, failing the test with the whole output when it did not fail. */
export function failureOf(run: TaskRun): string {
    if (run.result?.result !== 'Failed') {
        throw new Error(`Expected the task to fail, but it ended with ${JSON.stringify(run.result)}. Output:\n${run.output}`);
    }
    return run.result.message;
}

/**
 * Checks that no secret shows in what the agent displays, and that no docker
 * command got one in its arguments. A failure lists the lines that show it.
 */
export function expectNoSecretShown(run: TaskRun, secrets: readonly (string | undefined)[]): void {
    const shownLines = run.maskedOutput().split('\n');
    const dockerArguments = run.dockerCalls.flatMap((call) => call.args);

    for (const secret of secrets.filter((value): value is string => Boolean(value))) {
        expect({ secret, outputLines: shownLines.filter((line) => line.includes(secret)) }).toEqual({ secret, outputLines: [] });
        expect({ secret, dockerArguments: dockerArguments.filter((argument) => argument.includes(secret)) }).toEqual({ secret, dockerArguments: [] });
    }
}

/** A loopback server that accepts connections and never replies, as a firewalled metadata address behaves. */
export interface SilentServer {
    readonly url: string;
    close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });

    const { port } = server.address() as net.AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        close: async () => {
            sockets.forEach((socket) => socket.destroy());
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
