import { spawn, type ChildProcess } from 'node:child_process';

import { TaskError } from './errors';
import type { Logger } from './logger';

/**
 * The docker CLI, started directly with its arguments and no shell in between.
 * The task library's tool runner can't write to a process's standard input,
 * and `docker login --password-stdin` needs exactly that, so processes are
 * started here with child_process.
 */
export interface DockerCli {
    /** Returns the full ID and size of a local image; throws when the image or the daemon is missing. */
    inspectImage(reference: string): Promise<InspectedImage>;
    tag(source: string, target: string): Promise<void>;
    login(serverAddress: string, username: string, password: string): Promise<void>;
    /** Pushes one image reference, streaming docker's output to the log, and returns the pushed digest. */
    push(reference: string): Promise<PushResult>;
    removeImage(imageId: string): Promise<void>;
}

export interface InspectedImage {
    /** Full image ID, `sha256:…`. */
    readonly id: string;
    /** Uncompressed size of the image on the agent, in bytes. */
    readonly sizeBytes: number | undefined;
}

export interface PushResult {
    readonly digest: string | undefined;
    readonly size: number | undefined;
}

export interface DockerCliOptions {
    readonly dockerPath: string;
    /** A private docker config directory, passed as DOCKER_CONFIG; the user's own config when unset. */
    readonly configDirectory?: string;
    readonly env: NodeJS.ProcessEnv;
    readonly logger: Logger;
}

interface RunResult {
    readonly exitCode: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** AWS credentials in the agent's environment are of no use to docker, so its processes don't get them. */
const WITHHELD_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

const running = new Set<ChildProcess>();

/** Stops every docker process the task started; used when the agent cancels the task. */
export function killRunningDockerProcesses(signal: NodeJS.Signals): void {
    for (const child of running) {
        child.kill(signal);
    }
}

export function createDockerCli(options: DockerCliOptions): DockerCli {
    const env: NodeJS.ProcessEnv = { ...options.env };
    if (options.configDirectory) {
        env.DOCKER_CONFIG = options.configDirectory;
    }
    for (const name of WITHHELD_VARIABLES) {
        delete env[name];
    }
    const { logger } = options;

    const run = (args: string[], settings: { input?: string; stream?: boolean } = {}): Promise<RunResult> =>
        new Promise((resolve, reject) => {
            logger.debug(`Running: docker ${args.join(' ')}`);
            const child = spawn(options.dockerPath, args, {
                env,
                stdio: [settings.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
                windowsHide: true,
            });
            running.add(child);
            const stdout: Buffer[] = [];
            const stderr: Buffer[] = [];
            child.stdout!.on('data', (chunk: Buffer) => {
                stdout.push(chunk);
                if (settings.stream) {
                    process.stdout.write(chunk);
                }
            });
            child.stderr!.on('data', (chunk: Buffer) => {
                stderr.push(chunk);
                if (settings.stream) {
                    process.stdout.write(chunk);
                }
            });
            child.on('error', (error) => {
                running.delete(child);
                reject(new TaskError('DockerStartFailed', options.dockerPath, error.message));
            });
            child.on('close', (code, signal) => {
                running.delete(child);
                resolve({
                    exitCode: code ?? (signal ? 128 : 1),
                    stdout: Buffer.concat(stdout).toString('utf8'),
                    stderr: Buffer.concat(stderr).toString('utf8'),
                });
            });
            if (settings.input !== undefined) {
                child.stdin!.end(settings.input);
            }
        });

    return {
        async inspectImage(reference) {
            const result = await run(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', reference]);
            if (result.exitCode === 0) {
                const [id, size] = result.stdout.trim().split('\n')[0].split(' ');
                return { id, sizeBytes: size && /^\d+$/.test(size) ? Number(size) : undefined };
            }
            if (isDaemonUnreachable(result.stderr)) {
                throw new TaskError('DockerDaemonUnreachable', lastLine(result.stderr));
            }
            if (/no such (image|object)/i.test(result.stderr)) {
                throw new TaskError('SourceImageNotFound', reference);
            }
            throw new TaskError('DockerCommandFailed', 'image inspect', result.exitCode, lastLine(result.stderr));
        },

        async tag(source, target) {
            const result = await run(['tag', source, target]);
            if (result.exitCode !== 0) {
                throw new TaskError('DockerCommandFailed', 'tag', result.exitCode, lastLine(result.stderr));
            }
        },

        async login(serverAddress, username, password) {
            const result = await run(['login', '--username', username, '--password-stdin', serverAddress], {
                input: password,
            });
            logger.debug(`docker login output: ${result.stdout.trim()} ${result.stderr.trim()}`);
            if (result.exitCode !== 0) {
                throw new TaskError('DockerLoginFailed', serverAddress, lastLine(result.stderr));
            }
        },

        async push(reference) {
            const result = await run(['push', reference], { stream: true });
            if (result.exitCode !== 0) {
                throw pushError(reference, result);
            }
            return parsePushOutput(result.stdout);
        },

        async removeImage(imageId) {
            const result = await run(['image', 'rm', '--force', imageId]);
            if (result.exitCode !== 0) {
                throw new TaskError('DockerCommandFailed', 'image rm', result.exitCode, lastLine(result.stderr));
            }
        },
    };
}

/** Reads the digest and manifest size from the last line of `docker push` output. */
export function parsePushOutput(output: string): PushResult {
    const match = /digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(output);
    return match ? { digest: match[1], size: Number(match[2]) } : { digest: undefined, size: undefined };
}

/** Marks a push that failed because the repository does not exist or access was denied. */
export class PushFailure extends TaskError {
    constructor(
        readonly reason: 'repository-missing' | 'denied' | 'other',
        messageKey: string,
        ...args: unknown[]
    ) {
        super(messageKey, ...args);
    }
}

function pushError(reference: string, result: RunResult): PushFailure {
    const output = `${result.stdout}\n${result.stderr}`;
    if (/name unknown|does not exist in the registry|repository .* not found/i.test(output)) {
        return new PushFailure('repository-missing', 'DockerPushFailed', reference, result.exitCode, lastLine(result.stderr || result.stdout));
    }
    if (/denied|unauthorized|not authorized|403 forbidden/i.test(output)) {
        return new PushFailure('denied', 'PushDenied', reference, lastLine(result.stderr || result.stdout));
    }
    if (isDaemonUnreachable(output)) {
        return new PushFailure('other', 'DockerDaemonUnreachable', lastLine(result.stderr));
    }
    return new PushFailure('other', 'DockerPushFailed', reference, result.exitCode, lastLine(result.stderr || result.stdout));
}

export function isDaemonUnreachable(stderr: string): boolean {
    return /cannot connect to the docker daemon|error during connect|is the docker daemon running|dial unix .*(no such file|connection refused)|open \/\/\.\/pipe\/docker_engine/i.test(
        stderr,
    );
}

function lastLine(text: string): string {
    const lines = text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line.length > 0);
    return lines.length > 0 ? lines[lines.length - 1] : '(no output)';
}
