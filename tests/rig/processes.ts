import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** Directories searched for system binaries when PATH lacks them (dockerd lives in /usr/sbin). */
const SYSTEM_BINARY_DIRECTORIES = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** PATH given to the daemons, so dockerd finds containerd and runc whatever the caller's PATH is. */
export const DAEMON_PATH = SYSTEM_BINARY_DIRECTORIES.join(':');

/**
 * Finds an executable on PATH, then in the usual system directories.
 * Throws with the directories searched when it is nowhere.
 */
export function findExecutable(name: string, searchPath: string = process.env.PATH ?? ''): string {
  const directories = [...searchPath.split(path.delimiter).filter(Boolean), ...SYSTEM_BINARY_DIRECTORIES];

  for (const directory of directories) {
    const candidate = path.join(directory, name);
    if (isExecutableFile(candidate)) {
      return candidate;
    }
  }

  throw new Error(`Executable '${name}' not found on PATH or in ${SYSTEM_BINARY_DIRECTORIES.join(', ')}. Install the Debian package that provides it.`);
}

function isExecutableFile(candidate: string): boolean {
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/**
 * Starts a process in its own session with output appended to a log file, and
 * lets it outlive the caller. Returns its PID once the spawn succeeded.
 */
export async function spawnDetached(executable: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): Promise<number> {
  const logDescriptor = fs.openSync(logFile, 'a');

  try {
    const child = spawn(executable, args, {
      detached: true,
      stdio: ['ignore', logDescriptor, logDescriptor],
      env,
    });

    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();

    if (child.pid === undefined) {
      throw new Error(`Starting ${executable} returned no PID`);
    }
    return child.pid;
  } finally {
    fs.closeSync(logDescriptor);
  }
}

/**
 * Tells whether a process exists and is not a zombie. A zombie counts as ended:
 * when the CLI started it, its parent is init, which in a container may never reap it.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }

  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Either the process ended between the two checks, or there is no /proc (not Linux).
    return !fs.existsSync('/proc/self/stat');
  }

  // The state letter follows the command name, which is in brackets and may contain spaces.
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state !== 'Z' && state !== 'X';
}

/** Returns the command line of a running process, or undefined when it has ended. */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Checks that a PID still belongs to the process we started before signalling it,
 * because a PID read from a state file may have been reused by another program.
 */
export function isOurProcess(pid: number, executableName: string, marker: string): boolean {
  const commandLine = commandLineOf(pid);
  if (commandLine === undefined || commandLine.length === 0) {
    return false;
  }
  return path.basename(commandLine[0]) === executableName && commandLine.some((argument) => argument.includes(marker));
}

/** Polls a condition every intervalMs until it is true or timeoutMs passes, and returns its last value. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;

  while (Date.now() < deadline) {
    if (await condition()) {
      return true;
    }
    await sleep(intervalMs);
  }
  return condition();
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * Stops a process: SIGTERM, then SIGKILL to its whole process group once graceMs
 * has passed. spawnDetached makes the process a group leader, so the group kill
 * also reaches children that stayed in its group. dockerd puts containerd in a
 * group of its own, which is why stopEngine stops containerd separately.
 */
export async function stopProcess(pid: number, graceMs: number): Promise<void> {
  if (!isRunning(pid)) {
    return;
  }

  signal(pid, 'SIGTERM');
  if (await waitUntil(() => !isRunning(pid), graceMs)) {
    return;
  }

  signal(-pid, 'SIGKILL');
  signal(pid, 'SIGKILL');
  if (!(await waitUntil(() => !isRunning(pid), 10_000))) {
    throw new Error(`Process ${pid} is still running 10 s after SIGKILL`);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw error;
    }
  }
}

/** Returns the last lines of a log file, for error messages about a daemon that failed. */
export function readLogTail(logFile: string, lineCount = 30): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n');
    return lines.slice(-lineCount).join('\n');
  } catch (error) {
    return `(log ${logFile} could not be read: ${(error as Error).message})`;
  }
}

/** Asks the kernel for a free TCP port on 127.0.0.1. Another program may take it before we bind it. */
export async function findFreePort(): Promise<number> {
  const server = net.createServer();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  const address = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/**
 * Lazily unmounts every mount point under a directory, deepest first. dockerd
 * leaves overlay mounts behind when it is killed, and removing the directory
 * while they are mounted would fail or reach into the layers.
 */
export function unmountUnder(directory: string, run: (args: string[]) => void): void {
  let mountTable: string;
  try {
    mountTable = fs.readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return;
  }

  const prefix = directory.endsWith('/') ? directory : `${directory}/`;
  const mountPoints = mountTable
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((mountPoint): mountPoint is string => mountPoint !== undefined)
    .map((mountPoint) => mountPoint.replace(/\\040/g, ' '))
    .filter((mountPoint) => mountPoint.startsWith(prefix))
    .sort((a, b) => b.length - a.length);

  for (const mountPoint of mountPoints) {
    run(['-l', mountPoint]);
  }
}
