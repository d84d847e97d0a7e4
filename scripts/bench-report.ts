// Report of the benchmark (scripts/bench.ts): each figure next to its target,
// and where the time of a task run goes.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IMAGE_SIZES_MIB, MEMORY_POLL_INTERVAL_MS, MIB, type BenchSettings, type RuntimeResult } from './bench-measure';
import { repositoryRoot } from '../tests/support/repository-root';

const TARGETS = {
    coldStartMs: 150,
    overheadMs: 200,
    /** Task time over bare docker time, for the largest image. */
    largeImageRatio: 1.1,
    peakMemoryMib: 90,
    bundleMib: 2,
    vsixMib: 1,
} as const;

export function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function defined<T>(values: readonly (T | undefined)[]): T[] {
    return values.filter((value): value is T => value !== undefined);
}

/** Formats a figure against an upper bound: PASS, or MISS with the excess. */
function verdict(value: number, limit: number, unit: string, digits: number): string {
    if (value <= limit) {
        return 'PASS';
    }
    return `MISS by ${(value - limit).toFixed(digits)}${unit} (${Math.round(((value - limit) / limit) * 100)}%)`;
}

/** Formats one line of the report; `range` is the smallest and largest measured run. */
function row(label: string, measured: string, target: string, result: string, range = ''): string {
    return `  ${label.padEnd(44)} ${measured.padStart(10)} ${range.padStart(13)}   ${target.padEnd(10)} ${result}`;
}

function rangeOf(values: readonly number[], unit: string, digits = 0): string {
    return `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}${unit}`;
}

export function reportRuntime(result: RuntimeResult, dockerCallMs: number): void {
    const { runtime } = result;
    const allTaskRuns = result.sizes.flatMap((size) => size.task);
    const coldStarts = defined(allTaskRuns.map((run) => run.coldStartMs));
    const peaks = defined(allTaskRuns.map((run) => run.peakMemoryMib));
    const emptyNode = median(result.emptyNodeMs);

    console.log(`\nTask under Node ${runtime.version} (${runtime.path})`);
    console.log(row('figure', 'median', 'target', 'result', 'runs min-max'));
    console.log(row('node -e 0 (baseline, spawn to exit)', `${emptyNode.toFixed(0)} ms`, '', '', rangeOf(result.emptyNodeMs, ' ms')));

    if (coldStarts.length > 0) {
        const coldStart = median(coldStarts);
        console.log(
            row('cold start (spawn to first AWS request)', `${coldStart.toFixed(0)} ms`, `<= ${TARGETS.coldStartMs} ms`, verdict(coldStart, TARGETS.coldStartMs, ' ms', 0), rangeOf(coldStarts, ' ms')),
        );
        console.log(row('  ratio cold start / node -e 0', `${(coldStart / emptyNode).toFixed(2)}x`, '', ''));
    } else {
        console.log(row('cold start (spawn to first AWS request)', 'no request', `<= ${TARGETS.coldStartMs} ms`, 'MISS'));
    }

    for (const size of result.sizes) {
        const bare = median(size.bareMs);
        const task = median(size.task.map((run) => run.wallMs));
        // Paired differences: run i of the task against run i of bare docker, measured back to back.
        const overheads = size.task.map((run, index) => run.wallMs - size.bareMs[index]);
        const overhead = median(overheads);
        const ratio = task / bare;
        const isLargest = size.sizeMib === Math.max(...IMAGE_SIZES_MIB);

        console.log(row(`${size.sizeMib} MiB image: bare docker login+tag+push`, `${bare.toFixed(0)} ms`, '', '', rangeOf(size.bareMs, ' ms')));
        console.log(row(`${size.sizeMib} MiB image: task, spawn to exit`, `${task.toFixed(0)} ms`, '', '', rangeOf(size.task.map((run) => run.wallMs), ' ms')));
        console.log(
            row(
                `${size.sizeMib} MiB image: overhead (task - bare, paired)`,
                `${overhead.toFixed(0)} ms`,
                `<= ${TARGETS.overheadMs} ms`,
                verdict(overhead, TARGETS.overheadMs, ' ms', 0),
                rangeOf(overheads, ' ms'),
            ),
        );
        console.log(
            row(
                `${size.sizeMib} MiB image: ratio task / bare`,
                `${ratio.toFixed(3)}x`,
                isLargest ? `<= ${TARGETS.largeImageRatio.toFixed(2)}x` : '',
                isLargest ? verdict(ratio, TARGETS.largeImageRatio, 'x', 3) : '',
            ),
        );
    }

    if (peaks.length > 0) {
        const worst = Math.max(...peaks);
        console.log(row('peak resident memory, median of runs', `${median(peaks).toFixed(1)} MiB`, '', '', rangeOf(peaks, ' MiB', 1)));
        console.log(row('peak resident memory, largest of runs', `${worst.toFixed(1)} MiB`, `<= ${TARGETS.peakMemoryMib} MiB`, verdict(worst, TARGETS.peakMemoryMib, ' MiB', 1)));
    } else {
        console.log(row('peak resident memory', 'not measured', `<= ${TARGETS.peakMemoryMib} MiB`, 'no /proc on this system'));
    }

    console.log(`\n  Where the time goes (median ms after spawn; one docker CLI call, docker image inspect, takes ${dockerCallMs.toFixed(0)} ms):`);
    for (const size of result.sizes) {
        const labels = [...new Set(size.task.flatMap((run) => [...run.milestones.keys()]))];
        const timeline = labels
            .map((label) => ({ label, atMs: median(defined(size.task.map((run) => run.milestones.get(label)))) }))
            .sort((a, b) => a.atMs - b.atMs);
        console.log(`    ${size.sizeMib} MiB image:`);
        for (const point of timeline) {
            console.log(`      ${point.atMs.toFixed(0).padStart(6)}  ${point.label}`);
        }
    }
}

export function reportArtifacts(bundle: string, vsix: { file: string; packagedNow: boolean }): void {
    const bundleMib = fs.statSync(bundle).size / MIB;
    const vsixMib = fs.statSync(vsix.file).size / MIB;

    console.log('\nArtifacts');
    console.log(row('bundle dist/ECRPushImage/index.js', `${bundleMib.toFixed(2)} MiB`, `<= ${TARGETS.bundleMib} MiB`, verdict(bundleMib, TARGETS.bundleMib, ' MiB', 2)));
    console.log(row(`.vsix, ${vsix.packagedNow ? 'packaged now' : 'as found in dist/'}`, `${vsixMib.toFixed(2)} MiB`, `<= ${TARGETS.vsixMib} MiB`, verdict(vsixMib, TARGETS.vsixMib, ' MiB', 2)));
    console.log(`  (${path.relative(repositoryRoot(), vsix.file)})`);
}

export function describeMachine(settings: BenchSettings, taskScript: string, services: string): void {
    const cpus = os.cpus();
    console.log(`ECR push task benchmark, ${new Date().toISOString()}`);
    console.log(`Machine: ${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? 'unknown model'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB memory, ${os.type()} ${os.release()}`);
    console.log(`Runtimes: ${settings.runtimes.map((runtime) => runtime.version).join(', ')}; benchmark driver ${process.version}`);
    console.log(`Task: ${taskScript}`);
    console.log(`Runs: ${settings.runs} measured after ${settings.warmupRuns} warm-up, medians reported; services: ${services}`);
    console.log(`Peak memory: VmHWM of the task's own Node process, read from /proc every ${MEMORY_POLL_INTERVAL_MS} ms until it exits.`);
    console.log(`${describeLoad('start')}\n`);
}

/** Describes the 1-minute load average, because other processes on the machine make every timing noisy. */
export function describeLoad(moment: string): string {
    const [oneMinute] = os.loadavg();
    const cpus = os.availableParallelism();
    const warning = oneMinute > cpus ? ': busier than its CPU count, so expect noisy timings' : '';
    return `Load average (1 min) at ${moment}: ${oneMinute.toFixed(2)} on ${cpus} CPUs${warning}`;
}

