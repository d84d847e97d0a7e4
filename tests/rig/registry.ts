import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DAEMON_PATH,
  findExecutable,
  findFreePort,
  isOurProcess,
  isRunning,
  readLogTail,
  sleep,
  spawnDetached,
  stopProcess,
} from './processes';

/** The user name in ECR authorization tokens, and so the one user in the registry's htpasswd file. */
export const REGISTRY_USER = 'AWS';

/** Where a started registry lives; enough to stop it from another process. */
export interface RegistryState {
  readonly url: string;
  readonly host: string;
  readonly password: string;
  readonly pid: number;
  readonly dir: string;
}

export interface Registry extends RegistryState {
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /**
   * Password of the AWS user. bcrypt reads only the first 72 bytes, so a longer
   * password is accepted but its tail is not checked. Defaults to a random one.
   */
  readonly password?: string;
}

const READY_TIMEOUT_MS = 20_000;
const PORT_ATTEMPTS = 3;

/**
 * Starts the reference registry (Debian's docker-registry, CNCF Distribution 2.8)
 * on a free 127.0.0.1 port with filesystem storage and htpasswd authentication,
 * detached so it may outlive the caller.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const password = options.password ?? randomBytes(24).toString('hex');
  const executable = findExecutable('docker-registry');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-registry-'));
  const htpasswdFile = path.join(dir, 'htpasswd');

  fs.writeFileSync(htpasswdFile, makeHtpasswdEntry(password), { mode: 0o600 });

  let lastFailure = '';
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = await findFreePort();
    const configFile = path.join(dir, `config-${port}.yml`);
    const logFile = path.join(dir, `registry-${port}.log`);

    fs.writeFileSync(configFile, makeConfiguration({ port, storageDirectory: path.join(dir, 'storage'), htpasswdFile }));
    const pid = await spawnDetached(executable, ['serve', configFile], logFile, { PATH: DAEMON_PATH });
    const state: RegistryState = { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, password, pid, dir };

    if (await waitForRegistry(state)) {
      return { ...state, stop: () => stopRegistry(state) };
    }

    // Most often another program took the port between findFreePort and the bind.
    lastFailure = readLogTail(logFile);
    if (isRunning(pid)) {
      await stopProcess(pid, 5_000);
    }
  }

  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start after ${PORT_ATTEMPTS} attempts. Last lines of its log:\n${lastFailure}`);
}

/** Makes a bcrypt htpasswd line with the password passed on stdin, so it never shows in a process list. */
function makeHtpasswdEntry(password: string): string {
  const htpasswd = findExecutable('htpasswd');
  const result = spawnSync(htpasswd, ['-n', '-B', '-i', REGISTRY_USER], { input: password, encoding: 'utf8' });

  if (result.status !== 0) {
    throw new Error(`htpasswd failed with exit code ${result.status}: ${result.stderr || result.error?.message}`);
  }
  return `${result.stdout.trim()}\n`;
}

function makeConfiguration(settings: { port: number; storageDirectory: string; htpasswdFile: string }): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${settings.storageDirectory}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${settings.port}`,
    // A fixed secret keeps upload state tokens valid for the registry's whole life.
    `  secret: ${randomBytes(16).toString('hex')}`,
    'auth:',
    '  htpasswd:',
    '    realm: ecr-test-registry',
    `    path: ${settings.htpasswdFile}`,
    '',
  ].join('\n');
}

/** Waits until the registry replies to /v2/ with 401, which means it is up and requires credentials. */
async function waitForRegistry(state: RegistryState): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;

  while (Date.now() < deadline) {
    if (!isRunning(state.pid)) {
      return false;
    }
    if ((await probeStatus(`${state.url}/v2/`)) === 401) {
      return true;
    }
    await sleep(100);
  }
  return false;
}

function probeStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(undefined));
  });
}

/** Stops a registry by PID and removes its directory; refuses to signal a PID that no longer runs our registry. */
export async function stopRegistry(state: RegistryState): Promise<void> {
  if (isOurProcess(state.pid, 'docker-registry', state.dir)) {
    await stopProcess(state.pid, 10_000);
  }
  fs.rmSync(state.dir, { recursive: true, force: true });
}
