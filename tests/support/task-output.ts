/** One `##vso[area.action key=value;…]message` logging command the task printed. */
export interface TaskCommand {
  /** e.g. task.setvariable, task.complete, task.setsecret. */
  readonly command: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly message: string;
}

/** A variable the task set with task.setvariable. */
export interface TaskVariable {
  readonly name: string;
  readonly value: string;
  readonly isOutput: boolean;
  readonly isSecret: boolean;
}

/** What the agent reads from a task's output. */
export interface TaskOutput {
  readonly commands: TaskCommand[];
  /** Result and message of the last task.complete command, as the agent reports the step. */
  readonly result?: { readonly result: string; readonly message: string };
  readonly variables: TaskVariable[];
  /** Values registered with task.setsecret, which the agent masks from then on. */
  readonly secrets: string[];
  /** task.issue / task.logissue errors and ##[error] lines. */
  readonly errors: string[];
  readonly warnings: string[];
}

const COMMAND_LINE = /##vso\[([^\s\]]+)(?:\s+([^\]]*))?\](.*)$/;
const FORMATTED_LINE = /^##\[(error|warning)\](.*)$/;

/**
 * Parses the logging commands in a task's output, undoing the task library's
 * escaping (%AZP25 for %, %0D and %0A for line breaks, %3B and %5D in properties).
 */
export function parseTaskOutput(output: string): TaskOutput {
  const commands: TaskCommand[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];

  for (const line of output.split(/\r?\n/)) {
    const formatted = FORMATTED_LINE.exec(line);
    if (formatted) {
      (formatted[1] === 'error' ? errors : warnings).push(formatted[2]);
      continue;
    }

    const match = COMMAND_LINE.exec(line);
    if (!match) {
      continue;
    }
    const command: TaskCommand = { command: match[1], properties: parseProperties(match[2] ?? ''), message: unescapeMessage(match[3]) };
    commands.push(command);

    if ((command.command === 'task.issue' || command.command === 'task.logissue') && property(command, 'type') === 'error') {
      errors.push(command.message);
    }
    if ((command.command === 'task.issue' || command.command === 'task.logissue') && property(command, 'type') === 'warning') {
      warnings.push(command.message);
    }
  }

  const completion = commands.filter((command) => command.command === 'task.complete').pop();
  return {
    commands,
    result: completion ? { result: property(completion, 'result') ?? '', message: completion.message } : undefined,
    variables: commands
      .filter((command) => command.command === 'task.setvariable')
      .map((command) => ({
        name: property(command, 'variable') ?? '',
        value: command.message,
        isOutput: property(command, 'isOutput') === 'true',
        isSecret: property(command, 'isSecret') === 'true',
      })),
    secrets: commands.filter((command) => command.command === 'task.setsecret').map((command) => command.message),
    errors,
    warnings,
  };
}

/** Reads a command property; the agent treats property names case-insensitively. */
export function property(command: TaskCommand, name: string): string | undefined {
  const key = Object.keys(command.properties).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : command.properties[key];
}

function parseProperties(section: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const entry of section.split(';')) {
    const trimmed = entry.trim();
    const equals = trimmed.indexOf('=');
    if (equals > 0) {
      properties[trimmed.slice(0, equals)] = unescapeProperty(trimmed.slice(equals + 1));
    }
  }
  return properties;
}

function unescapeMessage(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%AZP25/g, '%');
}

function unescapeProperty(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%5D/g, ']').replace(/%3B/g, ';').replace(/%AZP25/g, '%');
}

/**
 * Returns the output as the agent shows it: every secret replaced by ***, longest
 * first so that a secret containing another is masked whole, and the
 * task.setsecret lines left out.
 * NOTE: the real agent also masks encoded forms of secrets (e.g. base64); this does not.
 */
export function maskOutput(output: string, secrets: readonly string[]): string {
  const ordered = [...new Set(secrets.filter((secret) => secret.length > 0))].sort((a, b) => b.length - a.length);
  return output
    .split('\n')
    .filter((line) => !line.includes('##vso[task.setsecret'))
    .map((line) => ordered.reduce((masked, secret) => masked.split(secret).join('***'), line))
    .join('\n');
}
