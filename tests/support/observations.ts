import * as fs from 'node:fs';

import type { AwsEmulator, RecordedRequest, RegistryEvent } from '../emulator';
import type { TaskRun } from './run-task';

/** What the emulator saw after watchEmulator was called. */
export interface EmulatorWatch {
    requests(): RecordedRequest[];
    /** Registry front events of one repository, in any account. */
    registryEvents(repository: string): RegistryEvent[];
}

/**
 * Marks the emulator's logs now, so that a test checks only the requests and
 * events of one task run. The tests of a file share one emulator and never reset it.
 */
export function watchEmulator(emulator: AwsEmulator): EmulatorWatch {
    const requestMark = emulator.requests.length;
    const eventMark = emulator.registryEvents.length;
    return {
        requests: () => emulator.requests.slice(requestMark),
        registryEvents: (repository) => emulator.registryEvents.slice(eventMark).filter((event) => event.repository === repository),
    };
}

/** Returns the ECR operation names of the requests, in order. */
export function ecrOperations(requests: readonly RecordedRequest[]): string[] {
    return requests.filter((request) => request.service === 'ecr').map((request) => request.operation);
}

/** Returns the value a run set for a variable, in its output form (isOutput=true) unless asked for the plain one. */
export function variableValue(run: TaskRun, name: string, isOutput = true): string | undefined {
    return run.variables.find((candidate) => candidate.name === name && candidate.isOutput === isOutput)?.value;
}

/** Returns the file that the run's task.uploadsummary command names. */
export function summaryFile(run: TaskRun): string | undefined {
    return run.commands.find((command) => command.command === 'task.uploadsummary')?.message;
}

/** A markdown table split into cells. */
export interface MarkdownTable {
    readonly header: string[];
    readonly separator: string[];
    readonly rows: string[][];
}

/** Reads the first markdown table of the run's summary file. Throws when the run attached no summary or it has no table. */
export function readSummaryTable(run: TaskRun): MarkdownTable {
    const file = summaryFile(run);
    if (!file) {
        throw new Error(`The task attached no summary. Output:\n${run.output}`);
    }
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const start = lines.findIndex((line) => line.startsWith('|'));
    if (start === -1) {
        throw new Error(`The summary ${file} has no table:\n${lines.join('\n')}`);
    }
    const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
    const [header, separator, ...rows] = lines.slice(start, end === -1 ? undefined : end).map(tableCells);
    return { header, separator, rows };
}

/** Splits a markdown table row into its cells, keeping escaped pipes inside a cell. */
export function tableCells(row: string): string[] {
    return row
        .replace(/^\|/, '')
        .replace(/\|$/, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim());
}
