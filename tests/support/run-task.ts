import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutable } from '../rig/processes';
import { SERVICE_ENVIRONMENT } from '../rig/services';
import { type DockerInvocation, installDockerRecorder, readDockerInvocations } from './docker-recorder';
import { repositoryRoot } from './repository-root';
import { node24 } from './runtimes';
import { maskOutput, parseTaskOutput, type TaskOutput } from './task-output';

/** A service connection as the agent hands it to a task. */
export interface ServiceConnection {
  readonly id: string;
  readonly url?: string;
  /** e.g. UsernamePassword. */
  readonly scheme: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export interface RunTaskOptions {
  /** Node binary to run the task with; defaults to Node 24 (see runtimes.ts). */
  readonly nodeBinary?: string;
  /** Task inputs by name, as in the YAML step. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly endpoints?: readonly ServiceConnection[];
  /** Pipeline variables by name, e.g. { 'AWS.Region': 'eu-west-1', 'System.CollectionUri': … }. */
  readonly variables?: Readonly<Record<string, string>>;
  readonly secretVariables?: Readonly<Record<string, string>>;
  /**
   * Extra environment, applied last; undefined removes a variable. The task gets no
   * other variables from the test process except PATH, so AWS_* reach it only from here.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory and System.DefaultWorkingDirectory; defaults to a fresh directory. */
  readonly cwd?: string;
  /** Kill the task with SIGKILL after this long; defaults to 120 s. */
  readonly timeoutMs?: number;
  /** Send a signal once the output contains a text, as the agent does when a run is cancelled. */
  readonly signalWhen?: { readonly text: string | RegExp; readonly signal?: NodeJS.Signals; readonly delayMs?: number };
  /**
   * Put a recording `docker` wrapper first on PATH. Defaults to true, unless env.PATH
   * is given, so that a test that hides docker from PATH gets no wrapper.
   */
  readonly recordDocker?: boolean;
  /** Entry point to run; defaults to dist/ECRPushImage/index.js of this repository. */
  readonly taskScript?: string;
}

/** Directories of one run, kept after it ends so that tests can check what was left on disk. */
export interface TaskRunDirectories {
  readonly root: string;
  /** Agent.TempDirectory. */
  readonly agentTemp: string;
  /** HOME of the task, so that ~/.docker is a fresh directory of the run. */
  readonly home: string;
  /** System.DefaultWorkingDirectory (unless cwd was given). */
  readonly work: string;
}

export interface TaskRun extends TaskOutput {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** Whether signalWhen fired. */
  readonly signalSent: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr in the order they arrived. */
  readonly output: string;
  /** The docker commands the task ran (empty when recordDocker is off). */
  readonly dockerCalls: DockerInvocation[];
  readonly directories: TaskRunDirectories;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * The output as the agent shows it: task.setsecret values, secret variables and
   * secret task variables replaced by ***, and the setsecret lines left out.
   */
  maskedOutput(): string;
  /** Removes the run's directories. */
  cleanup(): void;
}

const AGENT_VERSION = '4.260.0';
const DEFAULT_TIMEOUT_MS = 120_000;

/** Returns the environment variable name the agent uses for a variable or input name. */
export function variableKey(name: string): string {
  return name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase();
}

/** Runs the built task in a child process the way the Azure Pipelines agent does, and collects what the agent would see. */
export async function runTask(options: RunTaskOptions): Promise<TaskRun> {
  const directories = makeRunDirectories();
  const taskScript = options.taskScript ?? path.join(repositoryRoot(), 'dist', 'ECRPushImage', 'index.js');
  if (!fs.existsSync(taskScript)) {
    throw new Error(`The built task ${taskScript} does not exist; build it before running end-to-end tests.`);
  }

  const dockerLog = path.join(directories.root, 'docker-calls.log');
  const recordDocker = options.recordDocker ?? options.env?.PATH === undefined;
  const environment = buildEnvironment(options, directories, recordDocker ? path.join(directories.root, 'bin') : undefined);
  if (recordDocker) {
    installDockerRecorder(path.join(directories.root, 'bin'), dockerLog, findExecutable('docker', process.env.PATH));
  }

  const outcome = await spawnTask(options.nodeBinary ?? node24().path, taskScript, options.cwd ?? directories.work, environment, options);
  const parsed = parseTaskOutput(outcome.output);
  const secretValues = [
    ...parsed.secrets,
    ...Object.values(options.secretVariables ?? {}),
    ...parsed.variables.filter((variable) => variable.isSecret).map((variable) => variable.value),
  ];

  return {
    ...parsed,
    ...outcome,
    dockerCalls: recordDocker ? readDockerInvocations(dockerLog) : [],
    directories,
    environment,
    maskedOutput: () => maskOutput(outcome.output, secretValues),
    cleanup: () => fs.rmSync(directories.root, { recursive: true, force: true }),
  };
}

function makeRunDirectories(): TaskRunDirectories {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'task-run-'));
  const directories = {
    root,
    agentTemp: path.join(root, 'agent-temp'),
    home: path.join(root, 'home'),
    work: path.join(root, 'work'),
  };
  for (const directory of [directories.agentTemp, directories.home, directories.work]) {
    fs.mkdirSync(directory);
  }
  return directories;
}

function buildEnvironment(options: RunTaskOptions, directories: TaskRunDirectories, recorderDirectory: string | undefined): Record<string, string> {
  const basePath = process.env.PATH ?? '';
  const environment: Record<string, string> = {
    PATH: recorderDirectory ? `${recorderDirectory}${path.delimiter}${basePath}` : basePath,
    HOME: directories.home,
    AGENT_TEMPDIRECTORY: directories.agentTemp,
    SYSTEM_DEFAULTWORKINGDIRECTORY: options.cwd ?? directories.work,
    AGENT_VERSION,
    // Without this, the SDK's credential chain and the region lookup would ask the real
    // instance metadata address. Port 9 (discard) on loopback refuses at once; tests that
    // exercise instance metadata point this at the emulator through `env`.
    AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
  };

  const dockerHost = process.env[SERVICE_ENVIRONMENT.dockerHost];
  if (dockerHost) {
    environment.DOCKER_HOST = dockerHost;
  }

  for (const [name, value] of Object.entries(options.inputs)) {
    environment[`INPUT_${variableKey(name)}`] = value;
  }

  for (const endpoint of options.endpoints ?? []) {
    environment[`ENDPOINT_AUTH_${endpoint.id}`] = JSON.stringify({ scheme: endpoint.scheme, parameters: endpoint.parameters });
    environment[`ENDPOINT_AUTH_SCHEME_${endpoint.id}`] = endpoint.scheme;
    for (const [key, value] of Object.entries(endpoint.parameters)) {
      environment[`ENDPOINT_AUTH_PARAMETER_${endpoint.id}_${key.toUpperCase()}`] = value;
    }
    if (endpoint.url !== undefined) {
      environment[`ENDPOINT_URL_${endpoint.id}`] = endpoint.url;
    }
  }

  // The agent lists public and secret variable names, from which the task library learns which are secret.
  const variables = options.variables ?? {};
  const secretVariables = options.secretVariables ?? {};
  for (const [name, value] of Object.entries(variables)) {
    environment[variableKey(name)] = value;
  }
  for (const [name, value] of Object.entries(secretVariables)) {
    environment[`SECRET_${variableKey(name)}`] = value;
  }
  environment.VSTS_PUBLIC_VARIABLES = JSON.stringify(Object.keys(variables));
  environment.VSTS_SECRET_VARIABLES = JSON.stringify(Object.keys(secretVariables));

  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) {
      delete environment[name];
    } else {
      environment[name] = value;
    }
  }
  return environment;
}

interface SpawnOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly signalSent: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly output: string;
}

function spawnTask(nodeBinary: string, taskScript: string, cwd: string, environment: Record<string, string>, options: RunTaskOptions): Promise<SpawnOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, [taskScript], { cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const combined: Buffer[] = [];
    let timedOut = false;
    let signalSent = false;
    let signalTimer: NodeJS.Timeout | undefined;

    const timeout = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    const watchForSignalText = (): void => {
      const trigger = options.signalWhen;
      if (!trigger || signalSent || signalTimer) {
        return;
      }
      const text = Buffer.concat(combined).toString('utf8');
      const found = typeof trigger.text === 'string' ? text.includes(trigger.text) : trigger.text.test(text);
      if (found) {
        signalTimer = setTimeout(() => {
          signalSent = true;
          child.kill(trigger.signal ?? 'SIGTERM');
        }, trigger.delayMs ?? 0);
      }
    };

    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      combined.push(chunk);
      watchForSignalText();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      combined.push(chunk);
      watchForSignalText();
    });
    child.once('error', (error) => {
      clearTimeout(timeout);
      clearTimeout(signalTimer);
      reject(new Error(`Could not start ${nodeBinary}: ${error.message}`));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timeout);
      clearTimeout(signalTimer);
      resolve({
        exitCode,
        signal,
        timedOut,
        signalSent,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        output: Buffer.concat(combined).toString('utf8'),
      });
    });
  });
}
