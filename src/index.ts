import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import * as tl from 'azure-pipelines-task-lib/task';

import { createDockerCli, killRunningDockerProcesses } from './docker';
import { createPrivateDockerConfig, type PrivateDockerConfig } from './docker-config';
import { TaskError, describeError } from './errors';
import { parseInputs } from './inputs';
import { taskLogger } from './logger';
import { runPush } from './push';

/** Private docker config directories that must be deleted however the task ends. */
const dockerConfigs = new Set<PrivateDockerConfig>();

function removeDockerConfigs(): void {
    for (const config of dockerConfigs) {
        try {
            config.remove();
        } catch (error) {
            tl.warning(tl.loc('DockerConfigRemoveFailed', config.directory, describeError(error)));
        }
        dockerConfigs.delete(config);
    }
}

function handleCancellation(signal: NodeJS.Signals): void {
    killRunningDockerProcesses(signal);
    removeDockerConfigs();
    tl.setResult(tl.TaskResult.Cancelled, tl.loc('TaskCancelled', signal));
    process.exit(signal === 'SIGINT' ? 130 : 143);
}

const FILE_PATH_INPUTS = new Set(['lifecyclePolicyFile', 'repositoryPolicyFile']);

/**
 * Reads a task input. The agent fills an empty filePath input with the
 * default working directory, so such a value counts as unset.
 */
function readInput(name: string): string | undefined {
    if (FILE_PATH_INPUTS.has(name) && !tl.filePathSupplied(name)) {
        return undefined;
    }
    return tl.getInput(name, false);
}

/** Reads a file named by an input, relative to the default working directory. */
function readWorkspaceFile(file: string): string {
    const base = tl.getVariable('System.DefaultWorkingDirectory') || process.cwd();
    return fs.readFileSync(path.resolve(base, file), 'utf8');
}

/** Writes the job summary where the agent can upload it after the task ends, and attaches it. */
function publishSummary(markdown: string): void {
    const directory = tl.getVariable('Agent.TempDirectory') || os.tmpdir();
    const file = path.join(directory, `ecr-push-summary-${process.pid}-${Date.now()}.md`);
    fs.writeFileSync(file, markdown);
    tl.uploadSummary(file);
}

async function run(): Promise<void> {
    // The SDK warns on Node 20 that its future releases will need Node 22. The task
    // ships its own SDK version, so a pipeline author can't act on that warning.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    tl.setResourcePath(path.join(__dirname, 'task.json'));
    process.on('SIGINT', handleCancellation);
    process.on('SIGTERM', handleCancellation);
    process.on('exit', removeDockerConfigs);

    try {
        const inputs = parseInputs(readInput, readWorkspaceFile);
        const logger = taskLogger;

        // The AWS SDK takes tens of milliseconds to load. Importing it here lets that
        // happen while the first docker command runs, instead of before or after it.
        const awsSetup = import('./aws-setup');

        await runPush(inputs, {
            logger,
            findDocker: () => {
                const dockerPath = tl.which('docker', false);
                if (!dockerPath) {
                    throw new TaskError('DockerNotFound');
                }
                return dockerPath;
            },
            docker: (dockerPath, configDirectory) =>
                createDockerCli({ dockerPath, configDirectory, env: process.env, logger }),
            connectToAws: async () => (await awsSetup).connectToAws(inputs, logger, process.env),
            createDockerConfig: () => {
                const config = createPrivateDockerConfig({
                    parentDirectory: tl.getVariable('Agent.TempDirectory') || os.tmpdir(),
                    env: process.env,
                    debug: (message) => logger.debug(message),
                });
                dockerConfigs.add(config);
                return config;
            },
            setVariable: (name, value, isOutput) => tl.setVariable(name, value, false, isOutput),
            publishSummary: (markdown) => publishSummary(markdown),
        });
        tl.setResult(tl.TaskResult.Succeeded, tl.loc('TaskSucceeded'));
    } catch (error) {
        if (!(error instanceof TaskError) || tl.getVariable('System.Debug')?.toLowerCase() === 'true') {
            tl.debug((error as Error)?.stack ?? String(error));
        }
        tl.setResult(tl.TaskResult.Failed, describeError(error));
    } finally {
        removeDockerConfigs();
    }
}

void run();
