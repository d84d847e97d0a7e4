import { spawn } from 'node:child_process';

export interface DockerCommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DockerCommandOptions {
  /** Bytes written to the command's standard input, e.g. a password for --password-stdin. */
  readonly input?: string | Buffer;
  /** Extra environment, e.g. DOCKER_CONFIG. DOCKER_HOST always comes from the dockerHost argument. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * Runs the docker CLI found on PATH against one engine and collects its output.
 * It never throws for a non-zero exit code; callers decide what a failure means.
 */
export function runDocker(dockerHost: string, args: string[], options: DockerCommandOptions = {}): Promise<DockerCommandResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;

  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      env: { ...process.env, ...options.env, DOCKER_HOST: dockerHost },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Could not start the docker CLI: ${error.message}`));
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });

    child.stdin.on('error', () => {
      // The CLI may exit before reading its input; the exit code reports the real failure.
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a docker command and throws with its output when it fails. */
export async function runDockerChecked(dockerHost: string, args: string[], options: DockerCommandOptions = {}): Promise<DockerCommandResult> {
  const result = await runDocker(dockerHost, args, options);

  if (result.exitCode !== 0) {
    throw new Error(`docker ${args.join(' ')} failed with exit code ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}
