import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDocker } from '../support/docker-cli';
import {
  DAEMON_PATH,
  findExecutable,
  isOurProcess,
  isRunning,
  readLogTail,
  sleep,
  spawnDetached,
  stopProcess,
  unmountUnder,
} from './processes';

/** Where a started engine lives; enough to stop it from another process. */
export interface EngineState {
  readonly dockerHost: string;
  readonly pid: number;
  readonly dir: string;
}

export interface Engine extends EngineState {
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 20_000;

/**
 * Unix socket paths are limited to 108 bytes on Linux, and containerd puts its
 * sockets a few levels below the exec root, so the longest one must fit.
 */
const DEEPEST_SOCKET_SUFFIX = '/exec/containerd/containerd.sock.ttrpc';
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Starts a private dockerd (which starts its own containerd) in a fresh temporary
 * directory, detached so it may outlive the caller. Requires root.
 * Resolves once `docker version` gets a reply from the daemon.
 */
export async function startEngine(): Promise<Engine> {
  if (process.getuid?.() !== 0) {
    throw new Error('startEngine must run as root: dockerd needs root to mount its storage and start containerd.');
  }

  const dockerd = findExecutable('dockerd');
  const dir = makeShortTemporaryDirectory();
  const dockerHost = `unix://${dir}/docker.sock`;
  const logFile = path.join(dir, 'dockerd.log');
  const configFile = path.join(dir, 'daemon.json');

  // An empty configuration file keeps the machine's /etc/docker/daemon.json out of the test engine.
  fs.writeFileSync(configFile, '{}\n');

  const pid = await spawnDetached(
    dockerd,
    [
      '--config-file', configFile,
      '--data-root', path.join(dir, 'root'),
      '--exec-root', path.join(dir, 'exec'),
      '--pidfile', path.join(dir, 'pid'),
      '-H', dockerHost,
      '--iptables=false',
      '--ip-forward=false',
      '--bridge=none',
    ],
    logFile,
    { PATH: DAEMON_PATH, HOME: dir },
  );
  const state: EngineState = { dockerHost, pid, dir };

  try {
    await waitForEngine(state, logFile);
  } catch (error) {
    await stopEngine(state);
    throw error;
  }

  return { ...state, stop: () => stopEngine(state) };
}

function makeShortTemporaryDirectory(): string {
  const candidates = [os.tmpdir(), '/tmp'];

  for (const base of candidates) {
    const dir = fs.mkdtempSync(path.join(base, 'ecrd-'));
    if (Buffer.byteLength(dir + DEEPEST_SOCKET_SUFFIX) <= MAX_SOCKET_PATH_BYTES) {
      return dir;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  throw new Error(`No temporary directory is short enough for dockerd's sockets (at most ${MAX_SOCKET_PATH_BYTES} bytes with '${DEEPEST_SOCKET_SUFFIX}'); set TMPDIR to a shorter path.`);
}

async function waitForEngine(state: EngineState, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = '';

  while (Date.now() < deadline) {
    if (!isRunning(state.pid)) {
      throw new Error(`dockerd (PID ${state.pid}) exited during startup. Last lines of ${logFile}:\n${readLogTail(logFile)}`);
    }

    const result = await runDocker(state.dockerHost, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 });
    if (result.exitCode === 0) {
      return;
    }
    lastError = result.stderr.trim();
    await sleep(250);
  }

  throw new Error(
    `dockerd (PID ${state.pid}) did not answer on ${state.dockerHost} within ${READY_TIMEOUT_MS / 1000} s ` +
      `(last docker error: ${lastError}). Last lines of ${logFile}:\n${readLogTail(logFile)}`,
  );
}

/**
 * Stops an engine by PID and removes its directory. Safe to call for an engine
 * that already stopped; refuses to signal a PID that no longer runs our dockerd.
 */
export async function stopEngine(state: EngineState): Promise<void> {
  const containerdPid = readContainerdPid(state.dir);

  if (isOurProcess(state.pid, 'dockerd', state.dir)) {
    await stopProcess(state.pid, STOP_GRACE_MS);
  }

  // dockerd stops its containerd on SIGTERM; after a SIGKILL the containerd may be left running.
  if (containerdPid !== undefined && isOurProcess(containerdPid, 'containerd', state.dir)) {
    await stopProcess(containerdPid, 5_000);
  }

  unmountUnder(state.dir, (args) => {
    spawnSync('umount', args, { stdio: 'ignore' });
  });
  fs.rmSync(state.dir, { recursive: true, force: true });
}

function readContainerdPid(dir: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
