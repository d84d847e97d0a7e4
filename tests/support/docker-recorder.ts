import * as fs from 'node:fs';
import * as path from 'node:path';

/** One docker command the task ran, as the recording wrapper saw it. */
export interface DockerInvocation {
  readonly pid: number;
  readonly args: string[];
  /** DOCKER_CONFIG of the command, undefined when it was not set. */
  readonly dockerConfig?: string;
  readonly dockerHost?: string;
}

/**
 * Writes a `docker` shell script into binDirectory that appends its PID,
 * DOCKER_CONFIG, DOCKER_HOST and arguments to logFile, separated by NUL bytes so
 * that any argument survives. The script then execs the real docker, which keeps
 * the PID, the standard input and the signals of the original call.
 */
export function installDockerRecorder(binDirectory: string, logFile: string, realDocker: string): void {
  const script = [
    '#!/bin/sh',
    `log=${shellQuote(logFile)}`,
    '{',
    '  printf \'%s\\0\' "$$" "${DOCKER_CONFIG+set}" "${DOCKER_CONFIG-}" "${DOCKER_HOST-}" "$#"',
    '  for argument in "$@"; do printf \'%s\\0\' "$argument"; done',
    '} >> "$log"',
    `exec ${shellQuote(realDocker)} "$@"`,
    '',
  ].join('\n');

  fs.mkdirSync(binDirectory, { recursive: true });
  fs.writeFileSync(path.join(binDirectory, 'docker'), script, { mode: 0o755 });
}

/** Reads the calls recorded by installDockerRecorder, in order. */
export function readDockerInvocations(logFile: string): DockerInvocation[] {
  let fields: string[];
  try {
    fields = fs.readFileSync(logFile, 'utf8').split('\0');
  } catch {
    return [];
  }

  const invocations: DockerInvocation[] = [];
  let index = 0;
  while (index + 5 <= fields.length) {
    const [pid, configSet, dockerConfig, dockerHost, argumentCount] = fields.slice(index, index + 5);
    const count = Number.parseInt(argumentCount, 10);
    if (!Number.isInteger(count)) {
      break;
    }
    invocations.push({
      pid: Number.parseInt(pid, 10),
      args: fields.slice(index + 5, index + 5 + count),
      dockerConfig: configSet === 'set' ? dockerConfig : undefined,
      dockerHost: dockerHost || undefined,
    });
    index += 5 + count;
  }
  return invocations;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
