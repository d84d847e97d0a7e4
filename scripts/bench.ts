// Benchmarks the built task against a local Docker engine, registry and AWS
// emulator, and prints medians next to their targets. Every task run is paired
// with a bare `docker login` + `docker tag` + `docker push` of an image of the
// same size, so the overhead and the task/bare ratio come from one session on
// one machine.
//
// Usage: npm run bench
//   BENCH_RUNS=7        measured runs per figure
//   BENCH_WARMUP=1      unmeasured runs before them
//   BENCH_NODE=24       24, 20 or both: which handler runtime runs the task
//   BENCH_TASK_NODE_OPTIONS  NODE_OPTIONS for the task process, e.g.
//                       "--cpu-prof --cpu-prof-dir=/tmp/profiles" to see where
//                       its time goes (the profiler slows the task down)
//   BENCH_TASK_SCRIPT   another built index.js to measure in place of
//                       dist/ECRPushImage/index.js, e.g. a build variant;
//                       task.json must sit beside it
//   ECR_TEST_SERVICES   state file of an engine and registry that are already
//                       running (tests/rig/cli.ts start). Without it, the
//                       benchmark starts its own and stops them by PID at the end.
//
// Every pushed layer stays in the registry's storage, about 0.8 GiB per runtime
// with the defaults, because the registry frees blob space only through its
// garbage collector, which is unsafe while others push. Services the benchmark
// started are removed with their folders; a shared registry keeps the blobs
// until it is stopped.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AwsEmulator } from '../tests/emulator';
import { readStateFile, SERVICE_ENVIRONMENT, startServices, stopServices, type ServiceState } from '../tests/rig/services';
import { repositoryRoot } from '../tests/support/repository-root';
import { node20, node24, type NodeRuntime } from '../tests/support/runtimes';
import { measureDockerCallMs, measureRuntime, type BenchSettings, type BenchWorld, type RuntimeResult } from './bench-measure';
import { describeLoad, describeMachine, median, reportArtifacts, reportRuntime } from './bench-report';

function readSettings(env: NodeJS.ProcessEnv): BenchSettings {
    const runs = readCount(env, 'BENCH_RUNS', 7, 1);
    const warmupRuns = readCount(env, 'BENCH_WARMUP', 1, 0);

    const choice = (env.BENCH_NODE ?? '24').trim().toLowerCase();
    const runtimeFinders: Record<string, (() => NodeRuntime)[]> = { '24': [node24], '20': [node20], both: [node20, node24] };
    const finders = runtimeFinders[choice];
    if (!finders) {
        throw new Error(`BENCH_NODE is '${env.BENCH_NODE}', but it must be 24, 20 or both.`);
    }
    return { runs, warmupRuns, runtimes: finders.map((find) => find()) };
}

function readCount(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum: number): number {
    const text = env[name];
    if (text === undefined || text.trim() === '') {
        return fallback;
    }
    const value = Number(text);
    if (!Number.isInteger(value) || value < minimum) {
        throw new Error(`${name} is '${text}', but it must be a whole number of at least ${minimum}.`);
    }
    return value;
}


/** Returns the newest .vsix in dist/, packaging the extension first when there is none or it is older than the bundle. */
function findOrBuildVsix(root: string, bundle: string): { file: string; packagedNow: boolean } {
    const newestVsix = (): string | undefined =>
        fs
            .readdirSync(path.join(root, 'dist'))
            .filter((name) => name.endsWith('.vsix'))
            .map((name) => path.join(root, 'dist', name))
            .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];

    const existing = newestVsix();
    if (existing && fs.statSync(existing).mtimeMs >= fs.statSync(bundle).mtimeMs) {
        return { file: existing, packagedNow: false };
    }

    console.log('Packaging the extension (node scripts/package.js) to measure the .vsix...');
    const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'package.js')], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) {
        throw new Error(`Packaging failed with exit code ${result.status}:\n${result.stdout}${result.stderr}`);
    }
    const packaged = newestVsix();
    if (!packaged) {
        throw new Error('Packaging succeeded, but dist/ contains no .vsix file.');
    }
    return { file: packaged, packagedNow: true };
}


/** Uses the services of ECR_TEST_SERVICES, or starts an engine and a registry that `stop` ends by PID. */
async function provideServices(): Promise<{ state: ServiceState; description: string; stop: () => Promise<void> }> {
    const stateFile = process.env[SERVICE_ENVIRONMENT.stateFile];
    if (stateFile) {
        return { state: readStateFile(stateFile), description: `shared, from ${stateFile}`, stop: async () => undefined };
    }

    console.log('Starting a Docker engine and a registry for the benchmark...');
    const state = await startServices();
    let stopped = false;
    return {
        state,
        description: `own dockerd (PID ${state.engine.pid}) and registry (PID ${state.registry.pid})`,
        stop: async () => {
            if (!stopped) {
                stopped = true;
                await stopServices(state);
            }
        },
    };
}

async function main(): Promise<void> {
    const settings = readSettings(process.env);
    const root = repositoryRoot();
    const builtScript = path.join(root, 'dist', 'ECRPushImage', 'index.js');
    const taskScript = process.env.BENCH_TASK_SCRIPT ? path.resolve(process.env.BENCH_TASK_SCRIPT) : builtScript;
    for (const script of [builtScript, taskScript]) {
        if (!fs.existsSync(script)) {
            throw new Error(`${script} does not exist: build the task first (npm run build), or run the benchmark with npm run bench.`);
        }
    }
    const vsix = findOrBuildVsix(root, builtScript);

    const services = await provideServices();
    const stopOnSignal = (signal: NodeJS.Signals): void => {
        console.error(`\nStopped by ${signal}; stopping the services the benchmark started.`);
        services.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);

    const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-push-bench-'));
    let emulator: AwsEmulator | undefined;
    try {
        emulator = await AwsEmulator.start({ registryUrl: services.state.registry.url, registryPassword: services.state.registry.password });
        const world: BenchWorld = {
            services: services.state,
            emulator,
            user: emulator.addCredentials({ label: 'benchmark' }),
            workDirectory,
        };
        describeMachine(settings, taskScript, services.description);

        const dockerCallMs = median(await measureDockerCallMs(world, settings));
        const results: RuntimeResult[] = [];
        for (const runtime of settings.runtimes) {
            results.push(await measureRuntime(world, settings, runtime, taskScript));
        }

        for (const result of results) {
            reportRuntime(result, dockerCallMs);
        }
        reportArtifacts(builtScript, vsix);
        console.log(`\n${describeLoad('end')}`);
    } finally {
        await emulator?.stop();
        fs.rmSync(workDirectory, { recursive: true, force: true });
        await services.stop();
    }
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
});
