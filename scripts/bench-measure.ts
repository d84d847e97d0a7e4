// Measurements of the benchmark (scripts/bench.ts): bare docker pushes, task
// runs with their milestones and peak memory, and the baselines they are
// compared with.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { AwsEmulator, CredentialRecord } from '../tests/emulator';
import type { ServiceState } from '../tests/rig/services';
import { runDockerChecked } from '../tests/support/docker-cli';
import { createImage, removeImage } from '../tests/support/images';
import { uniqueRepositoryName } from '../tests/support/names';
import type { NodeRuntime } from '../tests/support/runtimes';

export const MIB = 1024 * 1024;
const REGION = 'eu-west-1';
export const IMAGE_SIZES_MIB = [1, 50];
/**
 * How often the task's /proc status is read for its peak resident memory.
 * VmHWM never decreases, so the last sample misses only growth in the final interval before exit.
 */
export const MEMORY_POLL_INTERVAL_MS = 10;

export interface BenchSettings {
    readonly runs: number;
    readonly warmupRuns: number;
    readonly runtimes: readonly NodeRuntime[];
}

/** The services a benchmark pushes into: the engine, the registry behind the emulator, and a key the emulator accepts. */
export interface BenchWorld {
    readonly services: ServiceState;
    readonly emulator: AwsEmulator;
    readonly user: CredentialRecord;
    readonly workDirectory: string;
}

/** A docker login token from GetAuthorizationToken, split as docker needs it. */
interface RegistryLogin {
    readonly username: string;
    readonly password: string;
    readonly proxyEndpoint: string;
    readonly host: string;
}

interface OutputLine {
    /** Milliseconds after the spawn. */
    readonly atMs: number;
    readonly text: string;
}

export interface TaskMeasurement {
    readonly wallMs: number;
    /** Spawn to the first request the emulator's main server received, undefined when there was none. */
    readonly coldStartMs: number | undefined;
    /** VmHWM of the task's Node process in MiB, undefined where /proc is missing. */
    readonly peakMemoryMib: number | undefined;
    /** Named points of the run, in milliseconds after the spawn. */
    readonly milestones: ReadonlyMap<string, number>;
}

export interface SizeResult {
    readonly sizeMib: number;
    readonly bareMs: number[];
    readonly task: TaskMeasurement[];
}

export interface RuntimeResult {
    readonly runtime: NodeRuntime;
    readonly emptyNodeMs: number[];
    readonly sizes: SizeResult[];
}
/** Times `node -e 0` from spawn to exit, the cost any Node task pays before its first line runs. */
async function measureEmptyNode(runtime: NodeRuntime): Promise<number> {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
        const child = spawn(runtime.path, ['-e', '0'], { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', () => resolve());
    });
    return performance.now() - started;
}

/** A local image made for one push. */
interface FreshImage {
    readonly reference: string;
    readonly id: string;
}

/** Creates an image no registry has seen, from random bytes. */
async function createFreshImage(world: BenchWorld, sizeMib: number): Promise<FreshImage> {
    const reference = `${uniqueRepositoryName('bench-source')}:build`;
    const id = await createImage(world.services.dockerHost, reference, sizeMib * MIB);
    return { reference, id };
}

async function requestRegistryLogin(world: BenchWorld): Promise<RegistryLogin> {
    const client = new ECRClient({ endpoint: world.emulator.url, region: REGION, credentials: world.user, maxAttempts: 1 });
    try {
        const output = await client.send(new GetAuthorizationTokenCommand({}));
        const data = output.authorizationData?.[0];
        const token = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
        const separator = token.indexOf(':');
        const proxyEndpoint = data?.proxyEndpoint ?? '';
        return { username: token.slice(0, separator), password: token.slice(separator + 1), proxyEndpoint, host: new URL(proxyEndpoint).host };
    } finally {
        client.destroy();
    }
}

/** Times the three docker commands a push needs, with a fresh docker config as the task uses. */
async function measureBarePush(world: BenchWorld, login: RegistryLogin, source: string, target: string): Promise<number> {
    const dockerConfig = fs.mkdtempSync(path.join(world.workDirectory, 'bare-docker-config-'));
    const env = { DOCKER_CONFIG: dockerConfig };
    const dockerHost = world.services.dockerHost;

    try {
        const started = performance.now();
        await runDockerChecked(dockerHost, ['login', '--username', login.username, '--password-stdin', login.proxyEndpoint], { input: login.password, env });
        await runDockerChecked(dockerHost, ['tag', source, target], { env });
        await runDockerChecked(dockerHost, ['push', target], { env });
        return performance.now() - started;
    } finally {
        fs.rmSync(dockerConfig, { recursive: true, force: true });
    }
}

/** Times one `docker image inspect`, the cost of any single docker CLI call the task makes. */
async function measureDockerInspect(world: BenchWorld, source: string): Promise<number> {
    const started = performance.now();
    await runDockerChecked(world.services.dockerHost, ['image', 'inspect', '--format', '{{.Id}}', source]);
    return performance.now() - started;
}

/** Environment the agent would give the task, with AWS pointed at the emulator. */
function taskEnvironment(world: BenchWorld, runDirectory: string, inputs: Record<string, string>): Record<string, string> {
    const environment: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: path.join(runDirectory, 'home'),
        AGENT_TEMPDIRECTORY: path.join(runDirectory, 'agent-temp'),
        SYSTEM_DEFAULTWORKINGDIRECTORY: path.join(runDirectory, 'work'),
        AGENT_VERSION: '4.260.0',
        DOCKER_HOST: world.services.dockerHost,
        AWS_ENDPOINT_URL_ECR: world.emulator.url,
        AWS_ACCESS_KEY_ID: world.user.accessKeyId,
        AWS_SECRET_ACCESS_KEY: world.user.secretAccessKey,
        // Port 9 on loopback refuses connections at once, so no request reaches the real instance metadata address.
        AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
    };
    for (const [name, value] of Object.entries(inputs)) {
        environment[`INPUT_${name.toUpperCase()}`] = value;
    }
    if (process.env.BENCH_TASK_NODE_OPTIONS) {
        environment.NODE_OPTIONS = process.env.BENCH_TASK_NODE_OPTIONS;
    }
    return environment;
}

/** Reads VmHWM (peak resident set) of a process in KiB; undefined once it has ended or without /proc. */
function readPeakResidentKib(pid: number): number | undefined {
    try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
        return match ? Number(match[1]) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Runs the built task once and times it from spawn to exit. Output lines are
 * time-stamped as they arrive, which gives the milestones of the run.
 */
async function measureTaskPush(world: BenchWorld, runtime: NodeRuntime, taskScript: string, source: string, repository: string, tag: string): Promise<TaskMeasurement> {
    const runDirectory = fs.mkdtempSync(path.join(world.workDirectory, 'task-run-'));
    for (const folder of ['home', 'agent-temp', 'work']) {
        fs.mkdirSync(path.join(runDirectory, folder));
    }
    const [sourceName, sourceTag] = source.split(':');
    const environment = taskEnvironment(world, runDirectory, {
        regionName: REGION,
        imageSource: 'imagename',
        sourceImageName: sourceName,
        sourceImageTag: sourceTag,
        repositoryName: repository,
        pushTag: tag,
    });

    const firstRequestIndex = world.emulator.requests.length;
    const lines: OutputLine[] = [];
    let peakKib: number | undefined;

    const spawnedAtEpochMs = Date.now();
    const started = performance.now();
    const child = spawn(runtime.path, [taskScript], { cwd: path.join(runDirectory, 'work'), env: environment, stdio: ['ignore', 'pipe', 'pipe'] });

    const poller = setInterval(() => {
        const current = child.pid === undefined ? undefined : readPeakResidentKib(child.pid);
        peakKib = current ?? peakKib;
    }, MEMORY_POLL_INTERVAL_MS);

    const collect = (stream: NodeJS.ReadableStream): void => {
        let pending = '';
        stream.on('data', (chunk: Buffer) => {
            const atMs = performance.now() - started;
            const parts = (pending + chunk.toString('utf8')).split('\n');
            pending = parts.pop() ?? '';
            lines.push(...parts.map((text) => ({ atMs, text })));
        });
    };
    collect(child.stdout);
    collect(child.stderr);

    const exitCode = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => resolve(code));
    });
    const wallMs = performance.now() - started;
    clearInterval(poller);
    await new Promise((resolve) => setImmediate(resolve));

    const output = lines.map((line) => line.text).join('\n');
    fs.rmSync(runDirectory, { recursive: true, force: true });
    if (exitCode !== 0 || !output.includes('##vso[task.complete result=Succeeded')) {
        throw new Error(`The task did not push ${repository}:${tag} (exit code ${exitCode}). Output:\n${output}`);
    }

    const requests = world.emulator.requests.slice(firstRequestIndex);
    const milestones = findMilestones(lines, requests, spawnedAtEpochMs, wallMs);
    return {
        wallMs,
        coldStartMs: requests.length > 0 ? requests[0].time.getTime() - spawnedAtEpochMs : undefined,
        peakMemoryMib: peakKib === undefined ? undefined : peakKib / 1024,
        milestones,
    };
}

/** Output patterns that mark the steps of a run, in the order the task takes them. */
const OUTPUT_MILESTONES: readonly (readonly [string, RegExp])[] = [
    ['first output line', /./],
    ['docker image inspect starts', /Running: docker image inspect/],
    ['docker tag starts', /Running: docker tag/],
    ['docker login starts', /Running: docker login/],
    ['docker push starts', /Running: docker push/],
    ['docker push done', /^\S+: digest: sha256:[0-9a-f]{64}/],
    ['task.complete printed', /##vso\[task\.complete/],
];

/**
 * The task's log line for each AWS response, such as "ECR DescribeImages request ID: …"
 * (older builds wrote "ECRClient.DescribeImagesCommand"). A run whose log has no such
 * line just shows no "answered" milestones.
 */
const AWS_RESPONSE_LINE = /^(?:ECR |ECRClient\.)(\w+?)(?:Command)? request ID/;

function findMilestones(lines: readonly OutputLine[], requests: AwsEmulator['requests'], spawnedAtEpochMs: number, wallMs: number): Map<string, number> {
    const milestones = new Map<string, number>();
    for (const [label, pattern] of OUTPUT_MILESTONES) {
        const line = lines.find((candidate) => pattern.test(candidate.text));
        if (line) {
            milestones.set(label, line.atMs);
        }
    }

    const requestCounts = new Map<string, number>();
    for (const request of requests) {
        const count = (requestCounts.get(request.operation) ?? 0) + 1;
        requestCounts.set(request.operation, count);
        milestones.set(`AWS ${request.operation}${count > 1 ? ` #${count}` : ''} received`, request.time.getTime() - spawnedAtEpochMs);
    }

    const responseCounts = new Map<string, number>();
    for (const line of lines) {
        const operation = AWS_RESPONSE_LINE.exec(line.text)?.[1];
        if (operation) {
            const count = (responseCounts.get(operation) ?? 0) + 1;
            responseCounts.set(operation, count);
            milestones.set(`AWS ${operation}${count > 1 ? ` #${count}` : ''} answered`, line.atMs);
        }
    }

    milestones.set('process exit', wallMs);
    return milestones;
}

/**
 * Runs bare and task pushes of one image size in pairs. The order inside a
 * pair alternates, so that a slow drift of the machine weighs on both sides.
 */
async function measureSize(world: BenchWorld, settings: BenchSettings, runtime: NodeRuntime, taskScript: string, sizeMib: number): Promise<SizeResult> {
    const repository = uniqueRepositoryName(`bench/${runtime.name}-${sizeMib}mib`);
    await world.emulator.createRepository(repository);
    const login = await requestRegistryLogin(world);
    const bareMs: number[] = [];
    const task: TaskMeasurement[] = [];

    for (let run = 0; run < settings.warmupRuns + settings.runs; run++) {
        const measured = run >= settings.warmupRuns;
        const bareSource = await createFreshImage(world, sizeMib);
        const taskSource = await createFreshImage(world, sizeMib);
        const bareTag = `bare-${run}`;
        const taskTag = `task-${run}`;

        const runBare = async (): Promise<void> => {
            const elapsed = await measureBarePush(world, login, bareSource.reference, `${login.host}/${repository}:${bareTag}`);
            if (measured) {
                bareMs.push(elapsed);
            }
        };
        const runTask = async (): Promise<void> => {
            const measurement = await measureTaskPush(world, runtime, taskScript, taskSource.reference, repository, taskTag);
            if (measured) {
                task.push(measurement);
            }
        };

        try {
            if (run % 2 === 0) {
                await runBare();
                await runTask();
            } else {
                await runTask();
                await runBare();
            }
        } finally {
            // By ID, so that the pushed tag goes too and the engine does not fill up with images.
            for (const image of [bareSource, taskSource]) {
                await removeImage(world.services.dockerHost, image.id, { force: true });
            }
        }
        process.stdout.write(measured ? '.' : 'w');
    }
    return { sizeMib, bareMs, task };
}

export async function measureRuntime(world: BenchWorld, settings: BenchSettings, runtime: NodeRuntime, taskScript: string): Promise<RuntimeResult> {
    process.stdout.write(`Measuring ${runtime.version} `);
    const emptyNodeMs: number[] = [];
    for (let run = 0; run < settings.warmupRuns + settings.runs; run++) {
        const elapsed = await measureEmptyNode(runtime);
        if (run >= settings.warmupRuns) {
            emptyNodeMs.push(elapsed);
        }
    }

    const sizes: SizeResult[] = [];
    for (const sizeMib of IMAGE_SIZES_MIB) {
        sizes.push(await measureSize(world, settings, runtime, taskScript, sizeMib));
    }
    process.stdout.write('\n');
    return { runtime, emptyNodeMs, sizes };
}

export async function measureDockerCallMs(world: BenchWorld, settings: BenchSettings): Promise<number[]> {
    const source = await createFreshImage(world, 1);
    const times: number[] = [];
    try {
        for (let run = 0; run < settings.warmupRuns + settings.runs; run++) {
            const elapsed = await measureDockerInspect(world, source.reference);
            if (run >= settings.warmupRuns) {
                times.push(elapsed);
            }
        }
    } finally {
        await removeImage(world.services.dockerHost, source.id, { force: true });
    }
    return times;
}

