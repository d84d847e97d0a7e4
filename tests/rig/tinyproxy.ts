import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutable, findFreePort, readLogTail, sleep, waitUntil } from './processes';

/** One request line tinyproxy logged: a CONNECT tunnel or a forwarded plain HTTP request. */
export interface ProxiedRequest {
    /** CONNECT, or the method of a forwarded request. */
    readonly method: string;
    /** host:port for CONNECT, the absolute URL otherwise. */
    readonly target: string;
}

export interface TinyproxyOptions {
    /** Basic auth user name the proxy requires. It and the password can contain only letters, digits, '-', '.' and '_'. */
    readonly username: string;
    readonly password: string;
}

/** A tinyproxy process of this test run, listening on a loopback port. */
export interface Tinyproxy {
    /** http://127.0.0.1:<port>, without credentials. */
    readonly url: string;
    readonly port: number;
    readonly pid: number;
    readonly logFile: string;
    /** Request lines of the log so far, in order. */
    requests(): ProxiedRequest[];
    /** Stops the process by its PID and removes its directory. */
    stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 3;
/** The part of tinyproxy's request log line after the timestamp (tinyproxy 1.11). */
const REQUEST_LINE = /\]: Request \(file descriptor \d+\): (\S+) (\S+) HTTP\/[\d.]+$/;
const CREDENTIAL_PATTERN = /^[A-Za-z0-9._-]+$/;

/**
 * Starts Debian's tinyproxy in the foreground on a free 127.0.0.1 port, with Basic auth
 * and clients allowed from 127.0.0.1 only. CONNECT may reach any port. The log, at level
 * Info, which includes the request lines of level Connect, goes to a directory of its own.
 */
export async function startTinyproxy(options: TinyproxyOptions): Promise<Tinyproxy> {
    for (const value of [options.username, options.password]) {
        // tinyproxy's config parser reads BasicAuth values as one word of these characters.
        if (!CREDENTIAL_PATTERN.test(value)) {
            throw new Error(`tinyproxy BasicAuth values can contain only letters, digits, '-', '.' and '_', but got '${value}'.`);
        }
    }

    const executable = findExecutable('tinyproxy');
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyproxy-'));
    const logFile = path.join(directory, 'tinyproxy.log');
    const outputFile = path.join(directory, 'output.log');

    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
        const port = await findFreePort();
        const configFile = path.join(directory, `tinyproxy-${port}.conf`);
        fs.writeFileSync(configFile, makeConfiguration({ port, logFile, ...options }), { mode: 0o600 });

        const child = await spawnForeground(executable, ['-d', '-c', configFile], outputFile);
        if (await waitForPort(child, port)) {
            return makeHandle(child, port, directory, logFile);
        }

        // Most often another program took the port between findFreePort and the bind.
        await stopChild(child);
    }

    const output = readLogTail(outputFile);
    fs.rmSync(directory, { recursive: true, force: true });
    throw new Error(`tinyproxy did not start after ${PORT_ATTEMPTS} attempts. Last lines of its output:\n${output}`);
}

function makeConfiguration(settings: { port: number; logFile: string; username: string; password: string }): string {
    return [
        `Port ${settings.port}`,
        'Listen 127.0.0.1',
        'Timeout 60',
        `LogFile "${settings.logFile}"`,
        'LogLevel Info',
        'MaxClients 50',
        'Allow 127.0.0.1',
        `BasicAuth ${settings.username} ${settings.password}`,
        'DisableViaHeader Yes',
        // Without a ConnectPort line tinyproxy allows CONNECT to every port, which the emulator's random ports need.
        '',
    ].join('\n');
}

async function spawnForeground(executable: string, args: string[], outputFile: string): Promise<ChildProcess> {
    const output = fs.openSync(outputFile, 'a');
    try {
        const child = spawn(executable, args, { stdio: ['ignore', output, output] });
        await new Promise<void>((resolve, reject) => {
            child.once('spawn', resolve);
            child.once('error', reject);
        });
        return child;
    } finally {
        fs.closeSync(output);
    }
}

async function waitForPort(child: ChildProcess, port: number): Promise<boolean> {
    return waitUntil(async () => child.exitCode === null && child.signalCode === null && (await accepts(port)), READY_TIMEOUT_MS, 50);
}

function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
            socket.destroy();
            resolve(true);
        });
        socket.once('error', () => resolve(false));
    });
}

function makeHandle(child: ChildProcess, port: number, directory: string, logFile: string): Tinyproxy {
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        pid: child.pid as number,
        logFile,
        requests: () => readRequests(logFile),
        stop: async () => {
            await stopChild(child);
            fs.rmSync(directory, { recursive: true, force: true });
        },
    };
}

function readRequests(logFile: string): ProxiedRequest[] {
    let log: string;
    try {
        log = fs.readFileSync(logFile, 'utf8');
    } catch {
        return [];
    }
    return log
        .split('\n')
        .map((line) => REQUEST_LINE.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => ({ method: match[1], target: match[2] }));
}

/** Sends SIGTERM to the child's PID, then SIGKILL when it has not exited after a grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const inTime = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!inTime) {
        child.kill('SIGKILL');
        await exited;
    }
}
